"""Fixes the benches propose for files this bench does not own, runnable so their effect is measured.

Fixes 1 and 2 were applied to acp/schemas.py and acp/transport/serve.py in 9947731; installing them
again here is harmless (the fast check runs twice, ~10 µs), so `fixed_` figures keep measuring 3 and 4.

1. acp/schemas.py -- a fast validity check before the pointed one. Profiling a validate-only OBSERVABILITY_SETUP shows ~93 % of the engine's time in jsonschema's pure-Python
`iter_errors` (about 3.3 ms for the card's request; `$ref` lookups and URL joins dominate). jsonschema-rs
(Rust, Draft 2020-12, same registry of our schemas) answers "valid?" in about 10 µs. The fix keeps the
errors exactly as they are: ask the fast validator first, and only when it says "invalid" run the
existing Python validator to build the pointed Violations. Valid traffic, which is the bulk, pays
the fast path only; invalid traffic pays both, as today plus 10 µs.

2. acp/transport/serve.py -- `_socket` makes the HTTP listener with `socket.socket(family, SOCK_STREAM)`,
   so its proto is 0 and asyncio's transport skips TCP_NODELAY on accepted connections (it sets it only
   when `sock.proto == IPPROTO_TCP`). uvicorn writes the response head and body as two segments; Nagle
   holds the body until the client ACKs the head, and the client delays that ACK ~40 ms. Every
   keep-alive HTTP request then takes ~44-48 ms (measured: /healthz 44 ms at p50, 2.8 ms with the fix).
   The fix is one argument: `socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)`.

3. planners/renderers/yaml_text.py -- PyYAML's pure-Python emitter is 60-80 % of planning time for the
   card's requests (analyze_scalar, write_plain). The same dumper built on `yaml.CSafeDumper` (libyaml,
   shipped in PyYAML's wheels) gave byte-identical text for every artifact of the five example
   requests, 7.6x faster. The fix: `class _ArtifactDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper))`,
   guarded by a property test that both dumpers give the same bytes for generated artifact data.

4. acp/transport/dispatch.py -- every request hops to the planning thread pool and back. For a small
   message the hop (submit, a GIL hand-over to the worker, the self-pipe wake-up of the event loop,
   and the 5 ms switch interval while four threads and the loop contend) costs more than the work:
   py-spy on DESCRIBE under load shows the engine at ~9 % of samples and the pool's wait/wake-up
   machinery around 40 %. The fix: answer messages of at most INLINE_BYTES (4 KiB) on the event loop
   and hop only for larger ones. With fix 1 a small validate-only costs ~0.2 ms, so the loop is never
   held long; without it, small requests still cost 3-5 ms, so 1 must come before 4.

    python -m bench.proposed_fixes serve --grpc-listen 127.0.0.1:0 ...   # acpctl with both fixes installed
"""

from __future__ import annotations

import socket
import sys
from functools import lru_cache
from typing import Any

import jsonschema_rs
import yaml

from acp import schemas

_python_violations = schemas.violations


@lru_cache(maxsize=1)
def _registry() -> "jsonschema_rs.Registry":
    return jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas._all_schemas().values()])


@lru_cache(maxsize=None)
def _fast(name: str) -> "jsonschema_rs.Draft202012Validator":
    return jsonschema_rs.Draft202012Validator(schemas.load_schema(name), registry=_registry())


def violations(name: str, instance: Any) -> list:
    if _fast(name).is_valid(instance):
        return []
    return _python_violations(name, instance)


def _tcp_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _libyaml_dumper() -> type:
    from planners.renderers import yaml_text

    class _LibyamlArtifactDumper(yaml.CSafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    _LibyamlArtifactDumper.add_representer(str, yaml_text._str_representer)
    return _LibyamlArtifactDumper


INLINE_BYTES = 4096


def _answer_small_inline() -> None:
    from acp.transport import dispatch

    pooled = dispatch.Dispatcher._answer

    async def _answer(self, raw: bytes, outcome, timeout):
        if len(raw) <= INLINE_BYTES:
            answer = self._plan(raw, outcome, None)
            return answer
        return await pooled(self, raw, outcome, timeout)

    dispatch.Dispatcher._answer = _answer


def install() -> None:
    from acp.transport import serve
    from planners.renderers import yaml_text

    schemas.violations = violations
    serve._socket = _tcp_socket
    _answer_small_inline()
    yaml_text._ArtifactDumper = _libyaml_dumper()


if __name__ == "__main__":
    install()
    from acp.cli.main import main

    sys.exit(main(sys.argv[1:]))
