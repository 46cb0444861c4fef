"""The committed gRPC stubs are exactly what `make proto` generates from proto/acp/v1/acp.proto."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("acp_pb2.py", "acp_pb2.pyi", "acp_pb2_grpc.py")


def test_regenerating_the_stubs_changes_nothing(tmp_path):
    subprocess.run(
        ["make", "-s", "proto", f"PROTO_OUT={tmp_path}", f"PY={sys.executable}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    for name in GENERATED:
        fresh = (tmp_path / "acp" / "v1" / name).read_bytes()
        committed = (ROOT / "acp" / "v1" / name).read_bytes()
        assert fresh == committed, f"acp/v1/{name} is stale: run `make proto` and commit the result"


def test_stubs_describe_the_service_the_design_names():
    from acp.v1 import acp_pb2

    service = acp_pb2.DESCRIPTOR.services_by_name["AgentCoordination"]
    assert acp_pb2.DESCRIPTOR.package == "acp.v1"
    methods = {m.name: (m.client_streaming, m.server_streaming) for m in service.methods}
    assert methods == {"Send": (False, False), "SendStream": (True, True), "Describe": (False, False)}
    assert [f.name for f in acp_pb2.AcpMessage.DESCRIPTOR.fields] == ["json"]


def _floor(requirement: str) -> tuple[int, ...]:
    """The lower bound pyproject.toml gives a dependency, as a version tuple."""
    import re
    import tomllib

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(d for d in dependencies if re.match(rf"{re.escape(requirement)}\s*[><=]", d))
    return tuple(int(part) for part in re.search(r">=\s*([\d.]+)", spec).group(1).split("."))


def test_library_installs_allow_no_runtime_older_than_the_stubs_require():
    """People who install the package from its ranges get a grpcio and protobuf the committed stubs accept."""
    import re

    grpc_stub = (ROOT / "acp" / "v1" / "acp_pb2_grpc.py").read_text()
    grpc_generated = re.search(r"GRPC_GENERATED_VERSION = '([\d.]+)'", grpc_stub).group(1)
    assert _floor("grpcio") >= tuple(int(p) for p in grpc_generated.split("."))
    pb2 = (ROOT / "acp" / "v1" / "acp_pb2.py").read_text()
    protobuf_generated = re.search(r"# Protobuf Python Version: ([\d.]+)", pb2).group(1)
    assert _floor("protobuf") >= tuple(int(p) for p in protobuf_generated.split("."))
