"""Every shell block a generated document shows (PLAN.md, the bundle's README.md, runbooks, RENDERED-style
instructions) is shell that runs as pasted: `bash -n` accepts it (issue 24: blocks fenced as sh held prose, and a
placeholder `'<password of the exporter's MySQL user>'` broke its own quoting). Run over every Markdown file of the
whole-system tree of every architecture fixture, on Kubernetes and on VMs."""

from __future__ import annotations

import copy
import re
import subprocess

import pytest

from acp import Engine
from acp.store import open_store
from architectures import fixture_names
from bundle_proofs import files_of
from conftest import load_example
from test_architecture_bundles import accept, bundle_for

BLOCK = re.compile(r"^(?P<indent> *)```(?:sh|bash|shell)\n(?P<body>.*?)^(?P=indent)```", re.S | re.M)


def shell_blocks(files: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for path, text in sorted(files.items()):
        if path.endswith(".md"):
            for match in BLOCK.finditer(text):
                indent = len(match.group("indent"))
                found.append((path, "\n".join(line[indent:] for line in match.group("body").splitlines())))
    return found


def refused(blocks: list[tuple[str, str]]) -> list[str]:
    problems = []
    for path, block in blocks:
        checked = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            problems.append(f"{path}: {checked.stderr.strip()[:300]}\n{block[:300]}")
    return problems


def vm_tree() -> dict[str, str]:
    acp = Engine(store=open_store(":memory:"))
    setup = copy.deepcopy(load_example("observability_setup.json"))
    setup["infrastructure"]["platform"] = "vm"
    for message in (setup, load_example("define_slos.json"), load_example("configure_alerting.json")):
        accept(acp, message)
    return files_of(acp.handle({"cmd": "EXPORT_SYSTEM"}))


@pytest.mark.parametrize("name", [*fixture_names(), "card-on-vms"])
def test_every_shell_block_of_every_document_parses(name: str) -> None:
    files = vm_tree() if name == "card-on-vms" else files_of(bundle_for(name)[0])
    blocks = shell_blocks(files)
    assert len(blocks) >= 3, [path for path, _ in blocks]
    assert refused(blocks) == []


def test_bash_n_refuses_prose_in_a_block() -> None:
    prose = [("README.md", "kubectl create secret generic ... (see 'What to provide' above)")]
    assert refused(prose) and not refused([("README.md", "# prose as a comment\nkubectl apply -f kubernetes/")])


CREATE_SECRET = re.compile(r"kubectl (?:-n (\S+) )?create secret generic (\S+)")


@pytest.mark.parametrize("name", fixture_names())
def test_each_secret_is_created_by_one_command_in_its_namespace(name: str) -> None:
    """Two `kubectl create secret generic alertmanager-receivers` commands: the second fails AlreadyExists and
    leaves its key unset; a command without -n puts the Secret where nothing reads it."""
    bundle = bundle_for(name)[0]
    commands = [text for entry in bundle["to_provide"] for text in (entry["command"], entry.get("kubernetes", ""))
                if CREATE_SECRET.search(text) and not text.startswith("#")]
    created = [CREATE_SECRET.search(text).groups() for text in commands]
    assert all(namespace for namespace, _ in created), commands
    assert len(created) == len(set(created)), commands
    receivers = [text for text in commands if "alertmanager-receivers" in text]
    assert len(receivers) == 1 and receivers[0].count("--from-literal=") >= 2, receivers
