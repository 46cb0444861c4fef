"""The artifact YAML writer: the same bytes as PyYAML's emitters, libyaml's and the pure-Python one.

`to_yaml` writes plain trees itself and hands anything unusual to PyYAML; both paths must print what
`yaml.dump` with the artifact dumper prints. Trees are drawn from the characters and shapes that change
how a scalar is written (indicators, quotes, colons, hashes, spaces at the edges, line breaks, strings
that read back as numbers, booleans, null or dates, unicode), and every artifact of the examples is
checked too, including that the fast path writes them (no silent fallback on the hot path).
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from acp import Engine
from planners.renderers import yaml_text
from tests.conftest import EXAMPLES

TRICKY = {
    "groups": [{
        "name": "slo-checkout-api",
        "interval": "30s",
        "rules": [{
            "record": "slo:sli_error:ratio_rate5m",
            "expr": 'sum(rate(http_requests_total{service="checkout-api",status=~"5.."}[5m]))\n/\nsum(rate(x[5m]))',
            "labels": {"severity": "critical", "version": "1.0", "flag": "yes", "empty": "", "null_text": "null"},
            "annotations": {"summary": "Budget {{ $value | humanizePercentage }} – naïve ünïcode: ✓",
                            "long": "x" * 300, "colon": "a: b", "hash": "# not a comment", "star": "*alias"},
        }],
    }],
    "numbers": [0.001, 14.4, 1, -3, 1e-7],
    "shared": [{"same": 1}, {"same": 1}],
}


class _PurePython(yaml.SafeDumper):
    def ignore_aliases(self, data):  # noqa: ANN001
        return True


_PurePython.add_representer(str, yaml_text._str_representer)
OPTIONS = dict(sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)


def _libyaml(data) -> str:
    return yaml.dump(data, Dumper=yaml_text._ArtifactDumper, **OPTIONS)


def _pure_python(data) -> str:
    return yaml.dump(data, Dumper=_PurePython, **OPTIONS)


def test_libyaml_and_python_emitters_print_the_same_bytes() -> None:
    assert yaml_text.to_yaml(TRICKY) == _pure_python(TRICKY) == _libyaml(TRICKY)
    assert yaml.safe_load(yaml_text.to_yaml(TRICKY)) == TRICKY
    assert "&" not in yaml_text.to_yaml(TRICKY).split("star")[0]  # no anchors for repeated dicts


def test_the_direct_writer_handles_the_tricky_tree_itself() -> None:
    assert "".join(yaml_text._document(TRICKY)) == _libyaml(TRICKY)


# Characters that decide a scalar's style, a few that force the fallback, and ordinary text.
_SPECIAL = list("#,[]{}&*!|>'\"%@`?:- .\n=~<+0123456789eE") + ["\t", "\x85", "\u2028", "\ufeff", "é", "✓", "😀", "\x00"]
_WORDS = ["yes", "no", "on", "off", "true", "False", "null", "~", "1e3", ".5", "0x1f", "0o7", "1_000", "12:30",
          "2024-01-01", "2001-12-14t21:59:43.10-05:00", "---", "...", "<<", "=", "- ", ": ", " #", "a", "sum(x)"]
strings = st.one_of(
    st.text(alphabet=st.sampled_from(_SPECIAL + list("abcxyz")), max_size=12),
    st.lists(st.sampled_from(_WORDS + ["\n", " ", "x"]), max_size=6).map("".join),
    st.sampled_from(_WORDS),
    st.text(max_size=20),
    st.text(alphabet="ab \n", min_size=1, max_size=3000),
)
scalars = st.one_of(strings, st.integers(-10**20, 10**20), st.booleans(), st.none(),
                    st.floats(allow_nan=True, allow_infinity=True))
keys = st.one_of(st.sampled_from(["name", "expr", "labels", "on", "1", "a b", "a: b", "", "- x", "é"]),
                 strings.filter(lambda s: len(s) < 200), st.integers(0, 3))
trees = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_drawn_trees_print_as_pyyaml_prints_them(tree) -> None:
    assert yaml_text.to_yaml(tree) == _libyaml(tree)


@settings(max_examples=100, deadline=None)
@given(st.lists(trees, min_size=1, max_size=3))
def test_drawn_documents_print_as_pyyaml_prints_them(documents) -> None:
    expected = yaml.dump_all(documents, Dumper=yaml_text._ArtifactDumper, explicit_start=True, **OPTIONS)
    assert yaml_text.to_yaml_documents(documents) == expected


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_example_artifact_is_written_by_the_fast_path_with_pyyaml_bytes(example, monkeypatch) -> None:
    trees: list = []
    original = yaml_text._document

    def recording(data):
        trees.append(data)
        try:
            return original(data)
        except yaml_text._Unsupported:  # a fallback on the hot path: fail (the engine answers INTERNAL)
            raise AssertionError(f"the direct writer gave up on an artifact of {example}") from None

    monkeypatch.setattr(yaml_text, "_document", recording)
    response = Engine().handle((EXAMPLES / example).read_bytes())
    assert response["status"] != "ERROR", response
    for tree in trees:
        if isinstance(tree, dict):
            assert "".join(original(tree)) == _libyaml(tree)
