"""MCP resources are listed from an index: each logged answer is read from the store once, whatever the number of
`resources/list` calls (issue 22: every listing parsed every stored answer, 4-5 s with seven large ones), and the
newest answer carrying a path still wins, for listing and reading alike."""

from __future__ import annotations

import copy

from acp import Engine
from acp.store import open_store
from acp.transport.artifact_resources import ArtifactResources
from conftest import load_example


class CountingStore:
    def __init__(self, store) -> None:
        self.store, self.lookups = store, 0

    def log(self, system=None):
        return self.store.log(system)

    def lookup(self, request_id):
        self.lookups += 1
        return self.store.lookup(request_id)


def test_listing_twice_reads_each_logged_answer_once_and_reading_finds_the_newest(tmp_path) -> None:
    store = open_store(str(tmp_path / "state.db"))
    engine = Engine(store=store)
    for name in ("observability_setup.json", "define_slos.json", "configure_alerting.json"):
        assert engine.handle(load_example(name))["status"] != "ERROR"
    newer = copy.deepcopy(load_example("define_slos.json")) | {"request_id": "slos-again"}
    newer["improvement_targets"]["availability"] = 99.95
    newest = engine.handle(newer)
    counting = CountingStore(store)
    resources = ArtifactResources(counting)  # a fresh process: nothing remembered, everything from the log
    first = resources.list()
    assert counting.lookups == 4
    assert resources.list() == first and counting.lookups == 4
    rules = next(f for f in first if f.path.startswith("prometheus/rules/slo-"))
    assert rules.request_id == "slos-again" and rules.size > 0
    read = resources.read(rules.uri)
    expected = next(a["content"] for a in newest["artifacts"] if a["path"] == rules.path)
    assert read is not None and read.content == expected and read.size == rules.size
    assert counting.lookups == 5  # reading fetches the one answer that carries the file
