"""The terminal views: a table from response status to view, every answer format has one, an unknown format gets
the generic view, and nothing in an answer can restyle the terminal. Views are presentation only."""

from __future__ import annotations

import ast
import io

from rich.console import Console

from acp.cli import views
from acp.commands import COMMANDS
from conftest import ROOT


def rendered(data: dict, width: int = 100) -> str:
    out = io.StringIO()
    views.render(data, Console(file=out, width=width, force_terminal=False, color_system=None))
    return out.getvalue()


def test_every_respond_format_has_its_own_view() -> None:
    table = views.registered()
    for command in COMMANDS.values():
        assert command.respond_format in table, command.respond_format
        assert table[command.respond_format] is not table[views.GENERIC]
    assert "VALID" in table and "acpctl:render" in table


def test_a_new_format_without_a_view_is_shown_by_the_generic_view() -> None:
    bundle = {"status": "SOMETHING_NEW", "system": "shop", "request_id": "r1", "hash": "sha256:x",
              "checks": [{"name": "no duplicate series", "status": "pass"}], "tree": {"files": 3, "root": "shop/"},
              "warnings": [{"code": "LINK", "message": "a dashboard link resolves nowhere"}], "assumptions": [],
              "artifacts": [{"path": "prometheus/rules/a.yml", "content": "x"}]}
    text = rendered(bundle)
    assert views.view_for("SOMETHING_NEW") is views.registered()[views.GENERIC]
    for needle in ("SOMETHING_NEW", "system shop", "checks", "1 item", "files: 3", "LINK", "Artifacts: 1 files",
                   "-o json"):
        assert needle in text, needle


def test_a_module_registers_a_view_for_a_new_status() -> None:
    @views.view_of("GATE_DECISION")
    def gate(data):  # what another engineer's views/gate.py would hold
        return f"gate: {data['decision']}"

    try:
        assert rendered({"status": "GATE_DECISION", "decision": "deny"}).strip() == "gate: deny"
    finally:
        views._VIEWS.pop("GATE_DECISION")


def test_two_views_for_one_status_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="two views for IMPLEMENTATION_PLAN"):
        views.view_of("IMPLEMENTATION_PLAN")(lambda data: "")


def test_answer_text_cannot_restyle_or_rewrite_the_terminal() -> None:
    hostile = {"status": "OBSERVABILITY_HEALTH", "system": "[bold red]x[/]",
               "recommendations": [{"priority": "high", "message": "\x1b[2J\x1b]0;pwned\x07[link=file:///etc]y"}],
               "warnings": [], "assumptions": []}
    out = io.StringIO()
    views.render(hostile, Console(file=out, width=100, force_terminal=True))
    text = out.getvalue()
    assert "[bold red]x[/]" in text and "\x1b[2J" not in text and "\x1b]0;" not in text and "[link=" in text


def test_views_read_the_answer_and_nothing_else() -> None:
    allowed = ("__future__", "typing", "collections", "re", "importlib", "pkgutil", "rich", "acp.cli.views")
    for path in sorted((ROOT / "acp" / "cli" / "views").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.startswith(allowed), f"{path.name} imports {name}"


def test_every_view_survives_an_empty_or_odd_answer() -> None:
    for status, view in views.registered().items():
        for data in ({"status": status}, {"status": status, "slos": "x", "alerts": [1, None], "graph": [],
                                          "coverage": 3, "files": [{}], "systems": [None]}):
            Console(file=io.StringIO(), width=80).print(view(data))


def test_a_system_bundle_shows_its_sources_and_failed_checks_first() -> None:
    bundle = {"status": "SYSTEM_BUNDLE", "system": "shop", "request_id": "r1", "hash": "sha256:x",
              "sources": [{"cmd": "DEFINE_SLOS", "request_id": "slos-1", "part": "slos", "key": "carts",
                           "files_used": 9, "files_superseded": []}],
              "checks": [{"id": "no_duplicate_series", "status": "pass", "detail": "12 recording rules"},
                         {"id": "alerts_have_runbooks", "status": "fail", "detail": "X has no runbook"}],
              "summary": {"rule_files": 2, "alerts": 7, "dashboards": 1},
              "to_provide": [{"what": "the routing key", "read_by": "alertmanager/alertmanager.yml",
                              "path": "/etc/x", "command": "printf"}],
              "warnings": [], "assumptions": [], "artifacts": [{"path": "README.md", "content": "x"}]}
    text = rendered(bundle)
    assert views.view_for("SYSTEM_BUNDLE") is not views.registered()[views.GENERIC]
    assert "1/2 checks pass" in text and "slos-1" in text and "the routing key" in text
    assert text.index("alerts_have_runbooks") < text.index("no_duplicate_series")
