"""The service graph on small graphs whose answers were worked out by hand, plus cross-checks against
networkx's own (slower, all-pairs where needed) algorithms on seeded random graphs."""

from __future__ import annotations

import json
import random

import networkx as nx
import pytest

from acp.errors import SchemaViolation
from planners.context import Findings
from planners.graph import INFERENCE_PAIR_LIMIT, Edge, ServiceGraph, reference_violations

CARD_INFRASTRUCTURE = {
    "platform": "kubernetes",
    "cloud_provider": "aws",
    "services": ["api-gateway", "user-service", "payment-service"],
    "databases": ["postgresql", "redis"],
    "message_queues": ["kafka"],
}


def edges_graph(edges: list[tuple[str, str, str]], queues: tuple[str, ...] = (),
                databases: tuple[str, ...] = ()) -> ServiceGraph:
    """A graph from explicit edges; every endpoint that is not a listed queue or database is a service."""
    components = set(queues) | set(databases)
    services = sorted({name for edge in edges for name in edge[:2]} - components)
    return ServiceGraph.from_infrastructure({
        "services": services,
        "databases": list(databases),
        "message_queues": list(queues),
        "dependencies": [{"from": source, "to": target, "kind": kind} for source, target, kind in edges],
    })


# ---- inference ---------------------------------------------------------------------------------


def test_card_example_infers_the_documented_edges():
    graph = ServiceGraph.from_infrastructure(CARD_INFRASTRUCTURE)
    assert graph.inferred_edges == [
        Edge("api-gateway", "user-service", "sync"),
        Edge("api-gateway", "payment-service", "sync"),
        Edge("user-service", "postgresql", "sync"),
        Edge("user-service", "redis", "sync"),
        Edge("payment-service", "postgresql", "sync"),
        Edge("payment-service", "redis", "sync"),
        Edge("user-service", "kafka", "async"),
        Edge("payment-service", "kafka", "async"),
    ]
    assert {name: role for name, role in graph.graph.nodes(data="role")} == {
        "api-gateway": "service", "user-service": "service", "payment-service": "service",
        "postgresql": "database", "redis": "database", "kafka": "queue",  # the request lists redis as a database
    }
    assert graph.graph.nodes["redis"]["kind"] == "redis"
    assert graph.graph.edges["user-service", "kafka"]["kind"] == "async"
    assert graph.graph.edges["user-service", "kafka"]["origin"] == "inferred"
    notes = " ".join(graph.inference_notes)
    assert "api-gateway is taken as an entry point because its name contains 'gateway'" in notes
    assert "user-service -> kafka" in notes


def test_card_example_analyses():
    graph = ServiceGraph.from_infrastructure(CARD_INFRASTRUCTURE)
    assert graph.entry_points() == ["api-gateway"]
    assert graph.layers() == [["api-gateway"], ["payment-service", "user-service"], ["kafka", "postgresql", "redis"]]
    # Both services give a 3-node chain; the tie goes to the smaller name, then postgresql < redis.
    assert graph.critical_path() == ["api-gateway", "payment-service", "postgresql"]
    # The services publish to kafka asynchronously: their caller, api-gateway, does not wait on it.
    assert graph.blast_radius() == {
        "api-gateway": 0, "user-service": 1, "payment-service": 1, "postgresql": 3, "redis": 3, "kafka": 2,
    }
    assert graph.cycles() == []


def test_without_an_entry_name_the_first_listed_service_is_the_entry_point():
    graph = ServiceGraph.from_infrastructure({"services": ["orders", "billing", "catalog"], "databases": ["mysql"]})
    assert graph.entry_points() == ["orders"]
    assert graph.inferred_edges == [
        Edge("orders", "billing", "sync"), Edge("orders", "catalog", "sync"),
        Edge("billing", "mysql", "sync"), Edge("catalog", "mysql", "sync"),
    ]
    assert any("first listed service, orders" in note for note in graph.inference_notes)


def test_entry_name_tokens_match_whole_words_only():
    # "webhooks" and "edgeless" contain entry words but not as tokens, so they are not entry points.
    graph = ServiceGraph.from_infrastructure({"services": ["webhooks", "web-frontend", "edgeless"]})
    assert graph.entry_points() == ["web-frontend"]
    assert sorted(graph.inferred_edges) == [Edge("web-frontend", "edgeless", "sync"),
                                            Edge("web-frontend", "webhooks", "sync")]


def test_when_every_service_is_an_entry_point_they_call_the_components():
    graph = ServiceGraph.from_infrastructure({"services": ["edge-proxy"], "caches": ["memcached"],
                                              "message_queues": ["rabbitmq"]})
    assert graph.inferred_edges == [Edge("edge-proxy", "memcached", "sync"), Edge("edge-proxy", "rabbitmq", "async")]


def test_stated_edges_switch_inference_off():
    graph = ServiceGraph.from_infrastructure({
        "services": ["api-gateway", {"name": "orders", "depends_on": ["orders-db"]}],
        "databases": [{"name": "orders-db", "kind": "postgresql"}, "redis"],
    })
    assert graph.inferred_edges == []
    assert sorted(graph.graph.edges) == [("orders", "orders-db")]
    assert graph.graph.degree("redis") == 0
    assert "no edges were inferred" in graph.inference_notes[0]


def test_large_fan_outs_are_paired_round_robin_and_stay_linear():
    services = ["gateway"] + [f"svc-{i:03d}" for i in range(199)]
    databases = [{"name": f"db-{i:03d}", "kind": "postgresql"} for i in range(100)]
    graph = ServiceGraph.from_infrastructure({"services": services, "databases": databases})
    assert 199 * 100 > INFERENCE_PAIR_LIMIT  # the data rule must take the round-robin branch here
    data_edges = [edge for edge in graph.inferred_edges if edge.target.startswith("db-")]
    assert len(data_edges) == 199
    assert data_edges[0] == Edge("svc-000", "db-000", "sync")
    assert data_edges[100] == Edge("svc-100", "db-000", "sync")
    assert {edge.source for edge in data_edges} == set(services[1:])
    assert {edge.target for edge in data_edges} == {d["name"] for d in databases}
    assert any("round-robin" in note for note in graph.inference_notes)


def test_no_services_means_no_edges():
    graph = ServiceGraph.from_infrastructure({"databases": ["postgresql"]})
    assert graph.graph.number_of_edges() == 0
    assert graph.critical_path() == ["postgresql"]  # no entry points: starts from the source components
    assert graph.entry_points() == []


# ---- edge kinds and attributes -------------------------------------------------------------------


def test_edge_kind_rules_and_node_attributes():
    graph = ServiceGraph.from_infrastructure({
        "services": [
            {"name": "checkout-api", "tier": "tier_1", "language": "python", "user_facing": True,
             "peak_rps": 100, "depends_on": ["events", "orders-db"]},
            "worker",
        ],
        "databases": [{"name": "orders-db", "kind": "postgresql"}, {"name": "sessions", "kind": "valkey"}],
        "message_queues": [{"name": "events", "kind": "kafka"}],
        "dependencies": [
            {"from": "worker", "to": "events"},  # no kind: sync, the schema default
            {"from": "worker", "to": "sessions", "kind": "async"},
            {"from": "checkout-api", "to": "orders-db", "kind": "async"},  # also stated sync above: sync wins
        ],
    })
    kinds = {(u, v): kind for u, v, kind in graph.graph.edges(data="kind")}
    assert kinds == {
        ("checkout-api", "events"): "async",
        ("checkout-api", "orders-db"): "sync",
        ("worker", "events"): "sync",
        ("worker", "sessions"): "async",
    }
    checkout = graph.graph.nodes["checkout-api"]
    assert (checkout["tier"], checkout["language"], checkout["user_facing"], checkout["peak_rps"]) == (
        "tier_1", "python", True, 100)
    assert graph.graph.nodes["worker"]["tier"] is None
    assert graph.graph.nodes["sessions"]["role"] == "database"  # a valkey under databases stays a database
    assert graph.graph.nodes["orders-db"]["role"] == "database"


# ---- critical path, cycles, layers, blast radius ---------------------------------------------------


def test_critical_path_follows_sync_edges_only():
    graph = edges_graph([
        ("gateway", "orders", "sync"), ("orders", "payments", "sync"), ("payments", "ledger-db", "sync"),
        # A longer chain behind an async hop must not win.
        ("gateway", "mailer", "async"), ("mailer", "m1", "sync"), ("m1", "m2", "sync"), ("m2", "m3", "sync"),
        ("m3", "m4", "sync"),
    ], databases=("ledger-db",))
    assert graph.entry_points() == ["gateway"]
    assert graph.critical_path() == ["gateway", "orders", "payments", "ledger-db"]


def test_critical_path_ties_go_to_the_smallest_names_whatever_the_input_order():
    edges = [("gw", "b", "sync"), ("gw", "a", "sync"), ("b", "x", "sync"), ("a", "y", "sync")]
    assert edges_graph(edges).critical_path() == ["gw", "a", "y"]
    assert edges_graph(edges[::-1]).critical_path() == ["gw", "a", "y"]


def test_cycles_are_condensed_and_walked_through():
    graph = edges_graph([
        ("gw", "a", "sync"), ("a", "b", "sync"), ("b", "c", "sync"), ("c", "a", "sync"),
        ("c", "d", "sync"), ("d", "e", "sync"), ("e", "e", "sync"),
    ])
    assert graph.cycles() == [["a", "b", "c"], ["e"]]
    assert graph.layers() == [["gw"], ["a", "b", "c"], ["d"], ["e"]]
    # Enters the cycle at a, walks to c (the only member with an edge out), then on to d and e.
    assert graph.critical_path() == ["gw", "a", "b", "c", "d", "e"]
    assert graph.blast_radius() == {"gw": 0, "a": 3, "b": 3, "c": 3, "d": 4, "e": 5}


def test_a_graph_that_is_one_cycle_has_no_entry_points_but_still_a_path():
    graph = edges_graph([("x", "y", "sync"), ("y", "x", "sync"), ("y", "z", "sync")])
    assert graph.entry_points() == []
    assert graph.cycles() == [["x", "y"]]
    assert graph.critical_path() == ["x", "y", "z"]
    assert graph.layers() == [["x", "y"], ["z"]]


def test_path_of_length_for_the_trace_check():
    card = ServiceGraph.from_infrastructure(CARD_INFRASTRUCTURE)
    assert card.path_of_length(3) is None  # only two services in any chain
    assert card.path_of_length(3, roles=None) == ["api-gateway", "payment-service", "postgresql"]
    graph = edges_graph([("gw", "a", "sync"), ("a", "b", "sync"), ("b", "db", "sync")], databases=("db",))
    assert graph.path_of_length(3) == ["gw", "a", "b"]
    assert graph.path_of_length(4) is None
    assert graph.path_of_length(4, roles=None) == ["gw", "a", "b", "db"]


def _random_edges(seed: int, nodes: int, edges: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    names = [f"n{i:03d}" for i in range(nodes)]
    return [(rng.choice(names), rng.choice(names), rng.choice(("sync", "sync", "async"))) for _ in range(edges)]


def _reach_of_failure(reference: nx.DiGraph, node: str) -> set[str]:
    """The blast radius by its definition, all-pairs: sync ancestors, plus one async hop back from any of them."""
    sync = reference.edge_subgraph([(u, v) for u, v, kind in reference.edges(data="kind") if kind == "sync"])
    behind = (nx.ancestors(sync, node) if node in sync else set()) | {node}
    one_hop = {source for target in behind for source, _, kind in reference.in_edges(target, data="kind")
               if kind == "async"}
    return (behind | one_hop) - {node}


@pytest.mark.parametrize("seed", range(8))
def test_analyses_agree_with_networkx_on_random_graphs(seed):
    graph = edges_graph(_random_edges(seed, nodes=40, edges=70))
    reference = nx.DiGraph(graph.graph)
    assert graph.blast_radius() == {node: len(_reach_of_failure(reference, node)) for node in reference}
    expected_cycles = sorted(sorted(c) for c in nx.strongly_connected_components(reference)
                             if len(c) > 1 or reference.has_edge(next(iter(c)), next(iter(c))))
    assert graph.cycles() == expected_cycles
    condensed = nx.condensation(reference)
    expected_layers = [sorted(n for c in generation for n in condensed.nodes[c]["members"])
                       for generation in nx.topological_generations(condensed)]
    assert graph.layers() == expected_layers
    path = graph.critical_path()
    assert path, "a non-empty graph always has a critical path"
    if graph.entry_points():
        assert path[0] in graph.entry_points()
    for source, target in zip(path, path[1:]):
        assert reference.edges[source, target]["kind"] == "sync"
    assert len(set(path)) == len(path)


# ---- availability bound ----------------------------------------------------------------------------


def diamond() -> ServiceGraph:
    return edges_graph([
        ("gw", "a", "sync"), ("gw", "b", "sync"), ("a", "db", "sync"), ("b", "db", "sync"), ("gw", "q", "async"),
    ], queues=("q",), databases=("db",))


def test_availability_bound_counts_a_shared_dependency_once_and_skips_async():
    bound = diamond().availability_bound("gw", {"a": 0.99, "b": 0.98, "db": 0.95, "q": 0.5})
    assert bound.bound == pytest.approx(0.99 * 0.98 * 0.95)  # db twice would give 0.8756...
    assert [(d.name, d.availability) for d in bound.dependencies] == [("db", 0.95), ("b", 0.98), ("a", 0.99)]
    assert [d.name for d in bound.limiting] == ["db"]


def test_availability_bound_uses_the_default_and_says_so():
    bound = diamond().availability_bound("gw", {"db": 0.9}, default=0.995)
    assert bound.bound == pytest.approx(0.9 * 0.995 * 0.995)
    assert [(d.name, d.defaulted) for d in bound.dependencies] == [("db", False), ("a", True), ("b", True)]
    assert diamond().availability_bound("db", {}).bound == 1.0
    assert diamond().availability_bound("db", {}).dependencies == []


def test_availability_bound_in_a_cycle_excludes_the_service_itself():
    graph = edges_graph([("a", "b", "sync"), ("b", "a", "sync")])
    assert graph.availability_bound("a", {"a": 0.5, "b": 0.9}).bound == pytest.approx(0.9)


def test_availability_bound_rejects_bad_input():
    with pytest.raises(ValueError):
        diamond().availability_bound("gw", {"db": 99.9})
    with pytest.raises(KeyError):
        diamond().availability_bound("nowhere", {})


# ---- references --------------------------------------------------------------------------------------


BROKEN = {
    "services": ["a", {"name": "b", "depends_on": ["a", "ghost"]}, "a"],
    "databases": ["postgresql", {"name": "b", "kind": "redis"}],
    "dependencies": [{"from": "a", "to": "postgresql"}, {"from": "nobody", "to": "phantom"}],
}


def test_reference_violations_point_at_every_problem():
    violations = reference_violations(BROKEN)
    assert [(v.pointer, v.keyword) for v in violations] == [
        ("/infrastructure/services/2", "uniqueItems"),
        ("/infrastructure/databases/1/name", "uniqueItems"),
        ("/infrastructure/services/1/depends_on/1", "reference"),
        ("/infrastructure/dependencies/1/from", "reference"),
        ("/infrastructure/dependencies/1/to", "reference"),
    ]
    assert "'ghost'" in violations[2].message
    assert "/infrastructure/services/0" in violations[0].message  # says where the first one is


def test_reference_violations_use_the_base_pointer_and_accept_clean_input():
    assert reference_violations(BROKEN, base="/x")[0].pointer == "/x/services/2"
    assert reference_violations(CARD_INFRASTRUCTURE) == []
    assert reference_violations({}) == []


def test_a_plain_kind_and_a_service_with_the_same_name_collide():
    violations = reference_violations({"services": ["kafka"], "message_queues": ["kafka"]})
    assert [(v.pointer, v.keyword) for v in violations] == [("/infrastructure/message_queues/0", "uniqueItems")]


def test_building_a_graph_from_broken_references_raises_schema_violation():
    with pytest.raises(SchemaViolation) as raised:
        ServiceGraph.from_infrastructure(BROKEN)
    assert len(raised.value.violations) == 5


# ---- summary and determinism -------------------------------------------------------------------------


def test_summary_is_json_ready_and_ordered_by_blast_radius():
    summary = ServiceGraph.from_infrastructure(CARD_INFRASTRUCTURE).summary()
    assert json.loads(json.dumps(summary)) == summary
    assert (summary["node_count"], summary["edge_count"], summary["inferred_edge_count"]) == (6, 8, 8)
    assert summary["nodes_by_role"] == {"service": 3, "database": 2, "cache": 0, "queue": 1}
    assert [row["name"] for row in summary["blast_radius"]] == [
        "postgresql", "redis", "kafka", "payment-service", "user-service", "api-gateway"]


def test_summary_does_not_depend_on_input_order():
    edges = _random_edges(99, nodes=30, edges=60)
    names = sorted({name for edge in edges for name in edge[:2]})

    def build(services: list[str], edge_list: list[tuple[str, str, str]]) -> str:
        graph = ServiceGraph.from_infrastructure({
            "services": services,
            "dependencies": [{"from": s, "to": t, "kind": k} for s, t, k in edge_list],
        })
        return json.dumps(graph.summary(), sort_keys=True)

    shuffled = edges[:]
    random.Random(1).shuffle(shuffled)
    assert build(names, edges) == build(names[::-1], shuffled)


def test_inference_notes_become_assumptions():
    findings = Findings()
    ServiceGraph.from_infrastructure(CARD_INFRASTRUCTURE).record_assumptions(findings)
    assert len(findings.assumptions) == 5
    assert {a["code"] for a in findings.assumptions} == {"GRAPH_INFERENCE"}
    assert {a["pointer"] for a in findings.assumptions} == {"/infrastructure"}


# ---- queues, consumers and the words people use ------------------------------------------------------

SHOP = {
    "services": [
        {"name": "front-end", "protocol": "http"},
        {"name": "shipping", "protocol": "http"},
        {"name": "queue-master", "protocol": "amqp", "language": "java"},  # an alias of worker
        {"name": "audit", "protocol": "http"},
    ],
    "databases": [{"name": "shipping-db", "kind": "mongodb"}],
    "message_queues": [{"name": "rabbitmq", "kind": "rabbitmq"}, {"name": "events", "kind": "kafka"}],
    "dependencies": [
        {"from": "front-end", "to": "shipping"},
        {"from": "shipping", "to": "rabbitmq", "kind": "async"},  # a publish: shipping is not a worker
        {"from": "queue-master", "to": "rabbitmq", "kind": "async"},  # read as a consume: queue-master is a worker
        {"from": "queue-master", "to": "shipping-db"},
        {"from": "shipping", "to": "events", "kind": "async", "direction": "publish"},
        {"from": "audit", "to": "events", "kind": "async", "direction": "consume"},  # stated, whatever the protocol
    ],
}


def test_queue_consumers_are_reached_through_the_queue_not_entry_points():
    graph = ServiceGraph.from_infrastructure(SHOP)
    assert graph.entry_points() == ["front-end"]
    assert graph.consumers() == {"audit": ["events"], "queue-master": ["rabbitmq"]}
    directions = {(u, v): d for u, v, d in graph.graph.edges(data="direction")}
    assert directions[("shipping", "rabbitmq")] == "publish"
    assert directions[("queue-master", "rabbitmq")] == "consume"
    assert directions[("front-end", "shipping")] is None
    # Work flows front-end -> shipping -> the queues -> their consumers -> what the consumers call.
    assert graph.layers() == [["front-end"], ["shipping"], ["events", "rabbitmq"], ["audit", "queue-master"],
                              ["shipping-db"]]
    summary = graph.summary()
    assert summary["consumers"] == [{"service": "audit", "queues": ["events"]},
                                    {"service": "queue-master", "queues": ["rabbitmq"]}]


def test_an_inferred_consumer_and_an_alias_are_assumptions_a_stated_one_is_not():
    findings = Findings()
    ServiceGraph.from_infrastructure(SHOP).record_assumptions(findings)
    by_code = {}
    for item in findings.assumptions:
        by_code.setdefault(item["code"], []).append(item)
    [consumer] = by_code["QUEUE_CONSUMER_INFERRED"]
    assert "queue-master <- rabbitmq" in consumer["message"] and "audit" not in consumer["message"]
    [alias] = by_code["VOCABULARY_ALIAS"]
    assert alias["message"] == "protocol 'amqp' is read as worker (queue-master)."
    assert alias["pointer"] == "/infrastructure/services/2/protocol"


def test_async_edges_carry_a_failure_one_hop_only():
    graph = ServiceGraph.from_infrastructure(SHOP)
    radius = graph.blast_radius()
    # rabbitmq failing stalls its producer and its consumer, not front-end, which only calls shipping.
    assert radius["rabbitmq"] == 2
    assert radius["events"] == 2  # shipping and audit
    # shipping failing fails front-end; the consumers do not wait on shipping.
    assert radius["shipping"] == 1
    assert radius["shipping-db"] == 1  # queue-master only: nothing waits on a consumer
    assert radius["queue-master"] == 0


def test_a_service_both_publishing_and_consuming_one_queue_is_a_consumer_and_a_producer():
    graph = ServiceGraph.from_infrastructure({
        "services": ["gateway", "retrier"],
        "message_queues": ["jobs"],
        "dependencies": [{"from": "gateway", "to": "retrier"},
                         {"from": "retrier", "to": "jobs", "kind": "async", "direction": "consume"},
                         {"from": "retrier", "to": "jobs", "kind": "async", "direction": "publish"}],
    })
    assert graph.graph.edges["retrier", "jobs"]["direction"] == "both"
    assert graph.consumers() == {"retrier": ["jobs"]}
    assert graph.entry_points() == ["gateway"]
    assert graph.layers() == [["gateway"], ["jobs", "retrier"]]  # retrier feeds jobs, which feeds retrier


def test_what_the_request_classes_as_a_database_stays_a_database():
    graph = ServiceGraph.from_infrastructure({"services": ["cart"], "databases": [{"name": "carts", "kind": "redis"}],
                                              "caches": [{"name": "sessions", "kind": "redis"}]})
    assert graph.role("carts") == "database"
    assert graph.role("sessions") == "cache"


@pytest.mark.parametrize(("field", "given", "canonical"), [
    ("language", "node", "nodejs"), ("language", "golang", "go"), ("language", "c#", "dotnet"),
    ("language", "csharp", "dotnet"), ("language", "c++", "cpp"), ("language", "javascript", "nodejs"),
    ("tier", 1, "tier_1"), ("tier", 3, "tier_3"), ("protocol", "kafka", "worker"),
])
def test_common_spellings_are_read_as_the_canonical_value(field, given, canonical):
    graph = ServiceGraph.from_infrastructure({"services": [{"name": "svc", field: given}]})
    assert graph.graph.nodes["svc"][field] == canonical
    findings = Findings()
    graph.record_assumptions(findings)
    assert [item["pointer"] for item in findings.assumptions if item["code"] == "VOCABULARY_ALIAS"] == [
        f"/infrastructure/services/0/{field}"]


def test_canonical_spellings_are_not_assumptions():
    findings = Findings()
    ServiceGraph.from_infrastructure({"services": [{"name": "svc", "language": "go", "tier": "tier_1",
                                                    "protocol": "thrift"}]}).record_assumptions(findings)
    assert [item for item in findings.assumptions if item["code"] == "VOCABULARY_ALIAS"] == []
