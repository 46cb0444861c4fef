"""The environment the suite runs in is exactly uv.lock, and uv.lock is current with pyproject.toml.

Any release of any dependency could otherwise change a test's answer tomorrow (issue 21: a new grpcio-tools
made the committed stubs stale on a fresh clone). `make test` passes uv's path in $UV; a missing uv fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "acp-observability"


def uv() -> str:
    path = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".uv" / "bin" / "uv")
    if not Path(path).is_file() and shutil.which(path) is None:
        pytest.fail("uv is not installed: `make install-dev` installs it into .uv/ from requirements/uv.txt")
    return path


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_for_this_interpreter() -> dict[str, str]:
    """What the lock installs here with the dev extra: name -> exact version, markers evaluated for this Python."""
    exported = subprocess.run(
        [uv(), "export", "--frozen", "--extra", "dev", "--no-hashes", "--no-emit-project", "--no-header",
         "--no-annotate", "--format", "requirements.txt"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    wanted = {}
    for line in exported.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = requirement.strip().partition("==")
        assert version, f"the export names a package without an exact version: {line!r}"
        wanted[normalise(name)] = version
    return wanted


def installed() -> dict[str, str]:
    return {normalise(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
            if normalise(dist.metadata["Name"]) != PROJECT}


def test_the_running_environment_is_exactly_the_lock():
    assert sys.prefix != sys.base_prefix, "the suite runs in a virtual environment made from the lock"
    wanted, have = locked_for_this_interpreter(), installed()
    missing = {name: version for name, version in wanted.items() if name not in have}
    extra = {name: version for name, version in have.items() if name not in wanted}
    different = {name: (wanted[name], have[name]) for name in wanted.keys() & have.keys()
                 if wanted[name] != have[name]}
    assert not (missing or extra or different), (
        f"the venv is not the lock (run `make install-dev`): missing {missing}, not locked {extra}, "
        f"locked vs installed {different}")


def test_the_lock_is_current_with_pyproject():
    result = subprocess.run([uv(), "lock", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"uv.lock is stale against pyproject.toml; run `make lock`:\n{result.stderr}"


def test_every_make_install_path_syncs_from_the_lock_and_never_resolves():
    """`make install`, `make install-dev` (and so `make run` and `make test`) go through `uv sync --frozen`."""
    dry = subprocess.run(["make", "-n", "-B", "install", "install-dev"], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    installs = [line for line in dry.splitlines() if re.search(r"\b(pip|uv)\b.*\b(install|sync|add)\b", line)]
    assert installs, dry
    for line in installs:
        frozen_sync = re.search(r"\buv sync --frozen\b", line)
        hashed_bootstrap = "--require-hashes" in line and "requirements/uv.txt" in line
        assert frozen_sync or hashed_bootstrap, f"an install that does not come from the lock: {line}"
