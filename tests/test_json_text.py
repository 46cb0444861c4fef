"""The dashboard JSON writer prints json.dumps(indent=2)'s bytes, for drawn trees and for every example's files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from acp import Engine
from planners.renderers import grafana, json_text
from tests.conftest import EXAMPLES

scalars = st.one_of(st.text(), st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.none())
trees = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.lists(children, max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=8), children, max_size=4),
    st.dictionaries(st.one_of(st.integers(0, 3), st.booleans()), children, max_size=2)), max_leaves=25)


@settings(max_examples=500, deadline=None)
@given(trees, st.booleans())
def test_drawn_trees_print_as_json_dumps_prints_them(tree, sort_keys):
    try:
        expected = json.dumps(tree, indent=2, sort_keys=sort_keys)
    except TypeError:  # json cannot sort mixed keys; neither can the writer's fallback
        with pytest.raises(TypeError):
            json_text.to_json(tree, sort_keys=sort_keys)
        return
    assert json_text.to_json(tree, sort_keys=sort_keys) == expected


@pytest.mark.parametrize("example", ["observability_setup.json", "large_system.json", "acp_server_setup.json"])
def test_every_dashboard_of_the_examples_is_byte_identical(example, monkeypatch):
    models: list = []
    original = json_text.to_json

    def recording(data, sort_keys=False):
        models.append((data, sort_keys))
        return original(data, sort_keys=sort_keys)

    monkeypatch.setattr(grafana, "to_json", recording)
    response = Engine().handle((EXAMPLES / example).read_bytes())
    assert response["status"] == "IMPLEMENTATION_PLAN", response
    assert models
    for model, sort_keys in models:
        assert original(model, sort_keys=sort_keys) == json.dumps(model, indent=2, sort_keys=sort_keys)
