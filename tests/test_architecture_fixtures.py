"""The real-architecture fixtures (tests/fixtures/architectures/): their shape, their internal consistency, that
together they hold the shapes issues 13 and 14 need (a queue, several store kinds, a soft dependency), and that
requests built from them in today's schemas are accepted by the engine."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from acp import Engine, schemas
from architectures import (
    FIXTURES, configure_alerting_request, define_slos_requests, fixture_names, load, setup_request, tier_name,
)

SYSTEMS = fixture_names()
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
CITATION = re.compile(r"[A-Za-z0-9_./-]+\.[A-Za-z0-9]+:\d+")  # a file path with an extension, then :line
# The systems that found the bugs; the fixtures must be others, so that the fixes are seen to generalise.
EXCLUDED_REPOSITORIES = {
    "googlecloudplatform/microservices-demo", "open-telemetry/opentelemetry-demo", "delimitrou/deathstarbench",
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(validate_responses=True)


def names(arch: dict[str, Any]) -> dict[str, str]:
    """Every node of the fixture by name, with its role."""
    nodes = {s["name"]: "service" for s in arch["services"]}
    nodes.update({d["name"]: "store" for d in arch["data_stores"]})
    nodes.update({q["name"]: "queue" for q in arch["queues"]})
    return nodes


def sync_callers(arch: dict[str, Any], name: str) -> set[str]:
    return {d["from"] for d in arch["dependencies"] if d["to"] == name and d["kind"] == "sync"}


def test_three_systems_none_of_them_the_ones_that_found_the_bugs() -> None:
    assert len(SYSTEMS) >= 3
    repositories = {load(s)["repository"].lower() for s in SYSTEMS}
    assert len(repositories) == len(SYSTEMS)
    assert not repositories & EXCLUDED_REPOSITORIES


@pytest.mark.parametrize("system", SYSTEMS)
def test_fixture_keeps_the_documented_shape(system: str) -> None:
    shape = json.loads((FIXTURES / "architecture.schema.json").read_text(encoding="utf-8"))
    arch = load(system)
    validator = Draft202012Validator(shape)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(arch)]
    assert errors == []
    assert arch["system"] == system


def test_the_shape_check_refuses_a_missing_field_and_a_bad_name() -> None:
    shape = Draft202012Validator(json.loads((FIXTURES / "architecture.schema.json").read_text(encoding="utf-8")))
    arch = load(SYSTEMS[0])
    del arch["services"][0]["selector"]
    arch["services"][1]["name"] = "Bad.Name"
    messages = " ".join(e.message for e in shape.iter_errors(arch))
    assert "selector" in messages and "Bad.Name" in messages


@pytest.mark.parametrize("system", SYSTEMS)
def test_names_are_unique_and_safe(system: str) -> None:
    arch = load(system)
    all_names = [n["name"] for key in ("services", "data_stores", "queues") for n in arch[key]]
    assert [n for n, count in Counter(all_names).items() if count > 1] == []
    assert all(NAME.match(n) for n in all_names)
    assert all(NAME.match(s["team"]) for s in arch["services"])


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_edge_joins_known_nodes_once_and_cites_the_caller(system: str) -> None:
    arch = load(system)
    nodes = names(arch)
    pairs = Counter((d["from"], d["to"]) for d in arch["dependencies"])
    assert [p for p, count in pairs.items() if count > 1] == []
    for edge in arch["dependencies"]:
        assert edge["from"] in nodes and edge["to"] in nodes, edge
        assert edge["from"] != edge["to"]
        assert nodes[edge["from"]] == "service", f"only services call: {edge}"
        assert CITATION.search(edge["evidence"]), f"no path:line in the evidence of {edge['from']} -> {edge['to']}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_queues_are_reached_only_asynchronously_by_their_producers_and_consumers(system: str) -> None:
    arch = load(system)
    nodes = names(arch)
    for edge in arch["dependencies"]:
        assert (edge["kind"] == "async") == (nodes[edge["to"]] == "queue"), edge
    async_edges = {(d["from"], d["to"]) for d in arch["dependencies"] if d["kind"] == "async"}
    for queue in arch["queues"]:
        members = set(queue["producers"]) | set(queue["consumers"])
        assert all(nodes.get(m) == "service" for m in members)
        assert {(m, queue["name"]) for m in members} <= async_edges
        assert {f for f, t in async_edges if t == queue["name"]} == members


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_service_is_reached_from_outside_by_a_caller_or_through_a_queue(system: str) -> None:
    arch = load(system)
    consumers = {c for q in arch["queues"] for c in q["consumers"]}
    for service in arch["services"]:
        callers = sync_callers(arch, service["name"])
        if service["entry_point"]:
            assert callers == set(), f"{service['name']} is an entry point but is called by {callers}"
        else:
            assert callers or service["name"] in consumers, f"nothing reaches {service['name']}"
    assert any(s["entry_point"] for s in arch["services"])


@pytest.mark.parametrize("system", SYSTEMS)
def test_journeys_start_at_an_entry_point_and_follow_real_calls(system: str) -> None:
    arch = load(system)
    services = {s["name"]: s for s in arch["services"]}
    for journey in arch["journeys"]:
        path = journey["path"]
        assert all(step in services for step in path), journey
        assert services[path[0]]["entry_point"], journey
        for i, step in enumerate(path[1:], start=1):
            assert sync_callers(arch, step) & set(path[:i]), f"{journey['name']}: nothing before {step} calls it"


@pytest.mark.parametrize("system", SYSTEMS)
def test_sources_name_the_commit_and_every_manifest(system: str) -> None:
    arch = load(system)
    sources = (FIXTURES / system / "SOURCES.md").read_text(encoding="utf-8")
    assert arch["commit"] in sources
    for extra in arch["additional_sources"]:
        assert extra["commit"] in sources and extra["repository"] in sources
    for node in arch["services"] + arch["data_stores"] + arch["queues"]:
        manifest = node["source"].rsplit("/", 1)[-1]
        assert manifest in sources, f"{node['name']}: {manifest} not in SOURCES.md"
    assert "ours" in sources.lower(), "SOURCES.md must say which assignments (teams, tiers) are ours"


def test_the_set_holds_a_queue_a_soft_edge_and_several_store_engines() -> None:
    archs = [load(s) for s in SYSTEMS]
    assert any(q["producers"] and q["consumers"] for a in archs for q in a["queues"])
    assert any(d["criticality"] == "soft" and d["kind"] == "sync" for a in archs for d in a["dependencies"])
    engines = {d["engine"] for a in archs for d in a["data_stores"]}
    assert len(engines) >= 3, engines
    assert {d["kind"] for a in archs for d in a["data_stores"]} == {"database", "cache"}


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_system_has_two_of_a_queue_several_stores_and_a_soft_edge(system: str) -> None:
    arch = load(system)
    traits = [bool(arch["queues"]), len(arch["data_stores"]) >= 2,
              any(d["criticality"] == "soft" for d in arch["dependencies"])]
    assert sum(traits) >= 2, traits


# -- requests in today's schemas ---------------------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
def test_setup_request_is_accepted_and_keeps_everything_the_schema_can_hold(system: str, engine: Engine) -> None:
    arch = load(system)
    request = setup_request(arch)
    assert schemas.violations("observability_setup", request) == []
    response = engine.handle(request)
    assert response["status"] == "IMPLEMENTATION_PLAN", response
    assert response["system"] == system

    infra = request["infrastructure"]
    assert {(s["name"], s["tier"], s["team"]) for s in infra["services"]} == {
        (s["name"], tier_name(s["tier"]), s["team"]) for s in arch["services"]}
    # a store keeps the class the fixture gives it: a Redis that is a database is sent as one
    stores = arch["data_stores"]
    assert {d["name"] for d in infra["databases"]} == {d["name"] for d in stores if d["kind"] == "database"}
    assert {d["name"] for d in infra["caches"]} == {d["name"] for d in stores if d["kind"] == "cache"}
    assert {q["name"] for q in infra["message_queues"]} == {q["name"] for q in arch["queues"]}
    assert sorted((d["from"], d["to"], d["kind"]) for d in infra["dependencies"]) == sorted(
        (d["from"], d["to"], d["kind"]) for d in arch["dependencies"])
    assert {s["name"] for s in infra["services"] if s["user_facing"]} >= {
        s["name"] for s in arch["services"] if s["entry_point"]}


@pytest.mark.parametrize("system", SYSTEMS)
def test_define_slos_requests_one_per_tier_1_service_are_accepted(system: str, engine: Engine) -> None:
    arch = load(system)
    requests = define_slos_requests(arch)
    tier_1 = {s["name"]: s for s in arch["services"] if s["tier"] == 1}
    assert [r["service"] for r in requests] == [s["name"] for s in arch["services"] if s["tier"] == 1]
    assert len(requests) >= 2
    for request in requests:
        service = tier_1[request["service"]]
        assert request["team"] == service["team"]
        histogram = service["metrics"].get("request_histogram")
        assert request.get("metrics", {}).get("duration_metric") == histogram
        assert schemas.violations("define_slos", request) == []
        response = engine.handle(request)
        assert response["status"] == "SLO_SPECIFICATION", response


@pytest.mark.parametrize("system", SYSTEMS)
def test_configure_alerting_request_is_accepted_with_each_services_team(system: str, engine: Engine) -> None:
    arch = load(system)
    request = configure_alerting_request(arch)
    assert schemas.violations("configure_alerting", request) == []
    assert {(s["name"], s["team"]) for s in request["golden_signals"]["services"]} == {
        (s["name"], s["team"]) for s in arch["services"]}
    response = engine.handle(request)
    assert response["status"] == "ALERT_RULES", response
    assert "fixture-placeholder-key" not in json.dumps(response)
