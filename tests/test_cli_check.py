"""`acpctl check DIR` on whole-system trees written to disk: it passes on the trees of three public architectures
(tests/architectures.py cites the files each fixture was modelled from) and on the card's VM tree, and each of six
defects planted alone makes it fail naming the defect (issue 23: a runbook removed, an inhibit matcher changed to a
label no alert carries, a dangling dashboard link in a rule and one in a dashboard, a duplicated rule file, a second
PrometheusRule with the same groups). Its checks are the SYSTEM_BUNDLE's: the two reports agree."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Callable

import pytest
import yaml

from acp import Engine
from acp.cli.main import main
from acp.store import open_store
from architectures import fixture_names
from bundle_proofs import files_of
from conftest import load_example
from test_architecture_bundles import accept, bundle_for


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return root


def check(root: Path, capsys: pytest.CaptureFixture) -> tuple[int, dict, str]:
    capsys.readouterr()
    code = main(["check", str(root), "-o", "json"])
    report = json.loads(capsys.readouterr().out)
    assert main(["check", str(root)]) == code
    return code, report, capsys.readouterr().out


@pytest.fixture(scope="module", params=fixture_names())
def architecture(request) -> tuple[dict, dict[str, str]]:
    bundle, _ = bundle_for(request.param)
    return bundle, files_of(bundle)


def test_a_tree_on_disk_passes_and_its_checks_are_the_bundles(architecture, tmp_path, capsys) -> None:
    bundle, files = architecture
    code, report, text = check(write_tree(tmp_path, files), capsys)
    assert code == 0, text
    assert report["layout"] == "kubernetes" and report["files"] == len(files)
    on_disk = {c["id"]: c["status"] for c in report["checks"]}
    assert on_disk.pop("files_parse") == "pass"
    assert on_disk == {c["id"]: c["status"] for c in bundle["checks"]}
    assert "checks pass" in text


def test_the_cards_vm_tree_passes(tmp_path, capsys) -> None:
    acp = Engine(store=open_store(":memory:"))
    setup = copy.deepcopy(load_example("observability_setup.json"))
    setup["infrastructure"]["platform"] = "vm"
    for message in (setup, load_example("define_slos.json"), load_example("configure_alerting.json")):
        accept(acp, message)
    files = files_of(acp.handle({"cmd": "EXPORT_SYSTEM"}))
    code, report, text = check(write_tree(tmp_path, files), capsys)
    assert (code, report["layout"]) == (0, "vm"), text


def _first(paths, prefix: str, suffix: str = "") -> str:
    return next(p for p in sorted(paths) if p.startswith(prefix) and p.endswith(suffix))


def remove_a_runbook(files: dict[str, str]) -> str:
    path = _first(files, "runbooks/", ".md")
    del files[path]
    return path.removeprefix("runbooks/").removesuffix(".md")


def inhibit_on_a_label_no_alert_carries(files: dict[str, str]) -> str:
    config = yaml.safe_load(files["alertmanager/alertmanager.yml"])
    rule = next(r for r in config["inhibit_rules"] if any("component=" in m for m in r.get("source_matchers") or []))
    rule["source_matchers"] = [m.replace("component=", "no_such_label=") for m in rule["source_matchers"]]
    files["alertmanager/alertmanager.yml"] = yaml.safe_dump(config, sort_keys=False)
    return "no_such_label"


def dangling_link_in_a_rule(files: dict[str, str]) -> str:
    path = _first(files, "prometheus/rules/", ".yml")
    document = yaml.safe_load(files[path])
    alert = next(rule for group in document["groups"] for rule in group["rules"] if "alert" in rule)
    alert["annotations"]["dashboard"] = "https://grafana.example.com/d/no-such-dashboard"
    files[path] = yaml.safe_dump(document, sort_keys=False)
    return "no-such-dashboard"


def dangling_link_in_a_dashboard(files: dict[str, str]) -> str:
    path = _first(files, "grafana/dashboards/", ".json")
    model = json.loads(files[path])
    model.setdefault("links", []).append({"title": "gone", "type": "link",
                                          "url": "https://grafana.example.com/d/gone-dashboard"})
    files[path] = json.dumps(model)
    return "gone-dashboard"


def duplicate_a_rule_file(files: dict[str, str]) -> str:
    path = _first(files, "prometheus/rules/slo-", ".yml")
    files[path.replace("/slo-", "/copy-of-slo-")] = files[path]
    return "copy-of-slo-"


def second_prometheus_rule_with_the_same_groups(files: dict[str, str]) -> str:
    path = "kubernetes/prometheusrules.yaml"
    first = next(d for d in yaml.safe_load_all(files[path]) if d and d["kind"] == "PrometheusRule")
    twin = copy.deepcopy(first)
    twin["metadata"]["name"] += "-again"
    files["kubernetes/prometheusrules-again.yaml"] = yaml.safe_dump(twin, sort_keys=False)
    return first["metadata"]["name"] + "-again"


DEFECTS: dict[str, tuple[Callable[[dict[str, str]], str], str]] = {
    "a runbook removed": (remove_a_runbook, "alerts_have_runbooks"),
    "an inhibit matcher on a label no alert carries": (inhibit_on_a_label_no_alert_carries, "inhibit_sources_match"),
    "a dangling dashboard link in a rule": (dangling_link_in_a_rule, "dashboard_links_resolve"),
    "a dangling dashboard link in a dashboard": (dangling_link_in_a_dashboard, "dashboards_link_to_dashboards"),
    "a duplicated rule file": (duplicate_a_rule_file, "no_duplicate_series"),
    "a second PrometheusRule with the same groups": (second_prometheus_rule_with_the_same_groups,
                                                     "prometheus_rules_once"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_planted_defect_alone_fails_the_check_naming_it(architecture, defect, tmp_path, capsys) -> None:
    _, files = architecture
    files = dict(files)
    plant, check_id = DEFECTS[defect]
    named = plant(files)
    code, report, text = check(write_tree(tmp_path, files), capsys)
    assert code == 5, text
    failed = {c["id"]: c for c in report["checks"] if c["status"] == "fail"}
    assert check_id in failed, (defect, report["checks"])
    assert any(named in problem for problem in failed[check_id]["problems"]), failed[check_id]
    assert any(line.startswith(f"{check_id}: ") and named in line for line in text.splitlines()), text


def test_a_broken_file_is_named_and_a_missing_folder_is_one_line(tmp_path, capsys) -> None:
    write_tree(tmp_path, {"prometheus/rules/bad.yml": "groups: [\n", "grafana/dashboards/bad.json": "{"})
    code, report, _ = check(tmp_path, capsys)
    assert code == 5
    problems = next(c for c in report["checks"] if c["id"] == "files_parse")["problems"]
    assert [p.split(":")[0] for p in problems] == ["grafana/dashboards/bad.json", "prometheus/rules/bad.yml"]
    assert main(["check", str(tmp_path / "nowhere")]) == 3
    assert "cannot read" in capsys.readouterr().err
