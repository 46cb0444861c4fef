"""One system, one tree, on real architectures (issue 13): the setup, DEFINE_SLOS for two services and alerting,
sent into one state, export as one bundle that the real tools accept loaded together and whose every
cross-reference check passes. The card's three messages get the same proofs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from acp import Engine
from acp.store import open_store
from architectures import configure_alerting_request, define_slos_requests, fixture_names, load, setup_request
from bundle_proofs import files_of, prove_alertmanager, prove_kubernetes, prove_prometheus_config, prove_rules_together
from conftest import load_example


def accept(acp: Engine, message: dict[str, Any]) -> dict[str, Any]:
    answer = acp.handle(copy.deepcopy(message))
    assert answer["status"] != "ERROR", (message.get("cmd"), answer.get("error"))
    return answer


def slo_requests(arch: dict[str, Any]) -> list[dict[str, Any]]:
    """DEFINE_SLOS for at least two services: the tier-1 ones, then the next tiers until there are two."""
    requests = define_slos_requests(arch)
    if len(requests) < 2:
        promoted = copy.deepcopy(arch)
        for service in sorted(promoted["services"], key=lambda s: (s["tier"], s["name"])):
            if len([s for s in promoted["services"] if s["tier"] == 1]) >= 2:
                break
            service["tier"] = 1
        requests = define_slos_requests(promoted)
    return requests[:3]


def burn_rate_alerting(arch: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A CONFIGURE_ALERTING for one SLO of a stored specification: it must build on it, not copy it."""
    slo = spec["slos"][0]
    request = copy.deepcopy(load_example("configure_alerting.json"))
    # The service's own team configures alerting for its SLO: its escalation policy is its own.
    request.update({"system": arch["system"], "request_id": f"{arch['system']}-burn-{spec['service']}",
                    "service": spec["service"], "team": spec["team"],
                    "slo": {"name": slo["name"], "target": slo["target_percent"], "window": slo["window"]}})
    return request


def bundle_for(system: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    arch = load(system)
    acp = Engine(validate_responses=True, store=open_store(":memory:"))
    answers = [accept(acp, setup_request(arch))]
    specs = [accept(acp, request) for request in slo_requests(arch)]
    answers += specs
    answers.append(accept(acp, configure_alerting_request(arch)))
    answers.append(accept(acp, burn_rate_alerting(arch, specs[0])))
    bundle = acp.handle({"cmd": "EXPORT_SYSTEM", "system": system})
    assert bundle["status"] == "SYSTEM_BUNDLE", bundle.get("error")
    return bundle, answers


@pytest.fixture(scope="module", params=fixture_names())
def system(request) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    bundle, answers = bundle_for(request.param)
    return request.param, bundle, answers


def test_every_cross_reference_check_passes(system) -> None:
    name, bundle, _ = system
    failed = [check for check in bundle["checks"] if check["status"] != "pass"]
    assert not failed, f"{name}: {failed}"
    assert len(bundle["sources"]) >= 5


def test_alerting_for_a_specified_slo_writes_no_second_copy(system) -> None:
    _, bundle, answers = system
    burn = answers[-1]
    assert burn["slo"]["rules_source"] == "stored_specification"
    assert not [p for p in files_of(burn) if p.startswith("prometheus/")]


def test_every_rule_file_loads_together_and_every_generated_test_passes(system) -> None:
    _, bundle, _ = system
    assert prove_rules_together(files_of(bundle)) >= 2


def test_the_merged_alertmanager_config_passes_amtool_and_its_routing_cases(system) -> None:
    _, bundle, _ = system
    prove_alertmanager(files_of(bundle))


def test_the_kubernetes_manifests_validate(system) -> None:
    _, bundle, _ = system
    assert prove_kubernetes(files_of(bundle)) > 0


def test_the_cards_three_messages_make_a_bundle_that_passes_the_same_proofs() -> None:
    acp = Engine(validate_responses=True, store=open_store(":memory:"))
    for name in ("observability_setup", "define_slos", "configure_alerting"):
        accept(acp, load_example(f"{name}.json"))
    bundle = acp.handle({"cmd": "EXPORT_SYSTEM"})
    failed = [check for check in bundle["checks"] if check["status"] != "pass"]
    assert not failed, failed
    files = files_of(bundle)
    prove_rules_together(files)
    prove_alertmanager(files)
    prove_kubernetes(files)


def test_a_vm_system_bundle_loads_every_rule_file_from_prometheus_yml() -> None:
    acp = Engine(validate_responses=True, store=open_store(":memory:"))
    setup = copy.deepcopy(load_example("observability_setup.json"))
    setup["infrastructure"]["platform"] = "vm"
    accept(acp, setup)
    accept(acp, load_example("define_slos.json"))
    accept(acp, load_example("configure_alerting.json"))
    bundle = acp.handle({"cmd": "EXPORT_SYSTEM"})
    files = files_of(bundle)
    prove_prometheus_config(files)
    assert {c["id"]: c["status"] for c in bundle["checks"]}["rule_files_loaded"] == "pass"
