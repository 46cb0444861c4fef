"""EXPORT_SYSTEM: the union of a system's answers as one tree, each path with one owner, and checks that can fail."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from acp import Engine
from acp.store import open_store
from conftest import load_example


def engine() -> Engine:
    return Engine(validate_responses=True, store=open_store(":memory:"))


def send(acp: Engine, name: str, system: str = "shop", **changes: Any) -> dict[str, Any]:
    message = {**copy.deepcopy(load_example(f"{name}.json")), "system": system, **changes}
    answer = acp.handle(message)
    assert answer["status"] != "ERROR", answer.get("error")
    return answer


def export(acp: Engine, system: str = "shop") -> dict[str, Any]:
    answer = acp.handle({"cmd": "EXPORT_SYSTEM", "system": system})
    assert answer["status"] == "SYSTEM_BUNDLE", answer.get("error")
    return answer


def files(message: dict[str, Any]) -> dict[str, str]:
    return {item["path"]: item["content"] for item in message["artifacts"]}


def checks(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in bundle["checks"]}


def test_an_empty_system_is_an_empty_bundle_that_says_so() -> None:
    bundle = export(engine(), "nothing-here")
    assert bundle["sources"] == [] and {a["path"] for a in bundle["artifacts"]} == {"README.md"}
    assert any(w["code"] == "NOTHING_STORED" for w in bundle["warnings"])


def test_the_bundle_is_a_query_deterministic_and_names_its_sources() -> None:
    acp = engine()
    sent = [send(acp, name, request_id=f"card-{name}")
            for name in ("observability_setup", "define_slos", "configure_alerting")]
    first, second = export(acp), export(acp)
    assert first["hash"] == second["hash"]
    assert [(s["cmd"], s["request_id"]) for s in first["sources"]] == [
        (answer["status"] and cmd, f"card-{name}") for answer, (cmd, name) in zip(sent, (
            ("OBSERVABILITY_SETUP", "observability_setup"), ("DEFINE_SLOS", "define_slos"),
            ("CONFIGURE_ALERTING", "configure_alerting")))]
    assert acp.store.log("shop")[-1]["cmd"] == "CONFIGURE_ALERTING"  # exporting wrote nothing


def test_alerting_rules_written_before_a_specification_are_superseded_by_it() -> None:
    acp = engine()
    alerting = send(acp, "configure_alerting", service="checkout-api",
                    slo={"name": "availability", "target": 99.9, "window": "30d"})
    assert alerting["slo"]["rules_source"] == "this_answer"
    send(acp, "define_slos")
    bundle = export(acp)
    tree = files(bundle)
    assert "prometheus/rules/alerts-checkout-api-availability.yml" not in tree
    assert "prometheus/rules/slo-checkout-api.yml" in tree
    source = next(s for s in bundle["sources"] if s["cmd"] == "CONFIGURE_ALERTING")
    assert {item["path"] for item in source["files_superseded"]} >= {
        "prometheus/rules/alerts-checkout-api-availability.yml", "prometheus/tests/alerts-checkout-api-availability.yml"}
    assert checks(bundle)["no_duplicate_series"]["status"] == "pass"
    assert checks(bundle)["no_duplicate_alerts"]["status"] == "pass"


def test_a_system_without_alerting_has_alerts_that_route_nowhere_and_the_check_says_so() -> None:
    acp = engine()
    send(acp, "define_slos")
    bundle = export(acp)
    assert checks(bundle)["alerts_route"]["status"] == "fail"
    assert "CONFIGURE_ALERTING" in checks(bundle)["alerts_route"]["detail"]


def test_one_alertmanager_config_with_the_stored_graphs_dependency_inhibitions() -> None:
    acp = engine()
    for name in ("observability_setup", "define_slos", "configure_alerting"):
        send(acp, name)
    config = yaml.safe_load(files(export(acp))["alertmanager/alertmanager.yml"])
    dependency = [rule for rule in config["inhibit_rules"]
                  if any(m.startswith("component=") for m in rule["source_matchers"])]
    assert dependency, "the card's setup has databases that its services call"
    assert all("env" in rule["equal"] for rule in config["inhibit_rules"])


def test_the_readme_lists_every_secret_with_its_command() -> None:
    acp = engine()
    for name in ("observability_setup", "define_slos", "configure_alerting"):
        send(acp, name)
    bundle = export(acp)
    readme = files(bundle)["README.md"]
    assert bundle["to_provide"]
    for item in bundle["to_provide"]:
        assert item["path"] in readme and item["command"] in readme
    assert "abc123" not in str(bundle)  # the card's PagerDuty key never leaves the request


def _bundle_of(rules: list[dict[str, Any]], inhibit: list[dict[str, Any]]):
    from planners.export.alert_labels import Analyzer, Inventory
    from planners.export.checks import Bundle

    inventory = Inventory(frozenset({"api", "checkout"}), {"postgresql": frozenset({"orders-db"})})
    return Bundle(files={}, analyzer=Analyzer(rules, inventory), rules=[("prometheus/rules/x.yml", r) for r in rules],
                  alertmanager={"route": {"receiver": "r"}, "receivers": [{"name": "r"}], "inhibit_rules": inhibit})


EXPORTER_ALERT = {"alert": "PostgresqlDown", "expr": 'pg_up{kind="postgresql"} == 0', "for": "1m",
                  "labels": {"severity": "critical", "team": "data"}}
SERVICE_ALERT = {"alert": "ServiceHighErrorRate", "expr": "service:error_ratio:rate5m > 0.05",
                 "labels": {"severity": "critical", "team": "web"}}
SERVICE_RECORD = {"record": "service:error_ratio:rate5m",
                  "expr": "sum by (service) (rate(errors_total[5m])) / on (service) sum by (service) (rate(requests_total[5m]))"}


def test_an_inhibit_rule_on_a_label_component_alerts_never_carry_can_never_fire() -> None:
    """The bug the check exists for: a database named by `service` while its exporter alerts carry `component`."""
    from planners.export.checks import inhibit_sources_match

    wrong = {"source_matchers": ['severity="critical"', 'service="orders-db"'],
             "target_matchers": ['service=~"checkout"'], "equal": ["env"]}
    right = {**wrong, "source_matchers": ['severity="critical"', 'component="orders-db"']}
    rules = [EXPORTER_ALERT, SERVICE_ALERT, SERVICE_RECORD]
    problems, _ = inhibit_sources_match(_bundle_of(rules, [wrong]))
    assert problems and "can never fire" in problems[0]
    assert inhibit_sources_match(_bundle_of(rules, [right]))[0] == []
    other_kind = {**right, "source_matchers": ['severity="critical"', 'component="cache-1"']}
    assert inhibit_sources_match(_bundle_of(rules, [other_kind]))[0]  # no postgresql component is named cache-1


def test_a_templated_dashboard_link_must_resolve_for_every_value_its_label_can_take() -> None:
    from planners.export.checks import dashboard_links_resolve

    linked = {**EXPORTER_ALERT, "annotations": {"dashboard": "https://g/d/cmp-{{ $labels.component }}"}}
    bundle = _bundle_of([linked], [])
    bundle.dashboards = {}
    assert dashboard_links_resolve(bundle)[0] == ["PostgresqlDown: https://g/d/cmp-{{ $labels.component }}: no "
                                                  "dashboard with uid cmp-orders-db"]
    bundle.dashboards = {"cmp-orders-db": {"uid": "cmp-orders-db", "templating": {"list": []}}}
    assert dashboard_links_resolve(bundle)[0] == []


def test_two_services_slos_of_one_name_both_reach_the_bundle() -> None:
    """The store keys alerting by service and SLO: the second service's answer must not replace the first's."""
    acp = engine()
    for service in ("checkout", "payments"):
        send(acp, "configure_alerting", service=service, request_id=f"alerts-{service}")
    bundle = export(acp)
    rules = [path for path in files(bundle) if path.startswith("prometheus/rules/alerts-")]
    assert {"prometheus/rules/alerts-checkout-api_availability.yml",
                "prometheus/rules/alerts-payments-api_availability.yml"} <= set(rules)
    assert {s["request_id"] for s in bundle["sources"]} == {"alerts-checkout", "alerts-payments"}
    assert all(check["status"] == "pass" for check in bundle["checks"]), bundle["checks"]


def test_a_teams_setup_alerts_reach_the_receivers_its_own_alerting_answer_chose() -> None:
    """Two teams, two notification settings: the merged config routes by `team`, so a setup alert of the
    payments team's service (which no CONFIGURE_ALERTING names) reaches payments' Slack, and amtool agrees."""
    from amtool_helpers import route_matches
    from bundle_proofs import prove_alertmanager

    acp = engine()
    setup = copy.deepcopy(load_example("observability_setup.json"))
    setup["infrastructure"]["services"] = ["api-gateway", "user-service", {"name": "payment-service", "team": "payments"}]
    send(acp, "observability_setup", infrastructure=setup["infrastructure"])
    send(acp, "configure_alerting", service="api-gateway", request_id="alerts-sre")
    payments = copy.deepcopy(load_example("configure_alerting.json"))
    payments["notification"]["channels"]["slack_channel"] = "#payments"
    send(acp, "configure_alerting", service="payment-service", team="payments", notification=payments["notification"],
         request_id="alerts-payments")
    tree = files(export(acp))
    assert any("team: payments" in text for path, text in tree.items() if path.startswith("prometheus/rules/"))
    prove_alertmanager(tree)
    config = yaml.safe_load(tree["alertmanager/alertmanager.yml"])
    by_team = [route for route in config["route"]["routes"] if route.get("matchers") == ['team="payments"']]
    assert len(by_team) == 1
    chat = next(r for r in config["receivers"] if r["name"] == by_team[0]["routes"][1]["receiver"])
    assert chat["slack_configs"][0]["channel"] == "#payments"
    setup_alert = {"alertname": "ServiceTargetDown", "service": "payment-service", "team": "payments",
                   "severity": "warning", "env": "production"}
    matched, output = route_matches(tree["alertmanager/alertmanager.yml"], chat["name"], setup_alert)
    assert matched, output
    sre_alert = {**setup_alert, "service": "user-service", "team": "platform"}
    matched, output = route_matches(tree["alertmanager/alertmanager.yml"], "warning-slack", sre_alert)
    assert matched, output
