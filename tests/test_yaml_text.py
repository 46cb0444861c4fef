"""The artifact YAML dumper: libyaml's emitter must print the same bytes as the pure-Python one."""

from __future__ import annotations

import yaml

from planners.renderers import yaml_text

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


def test_libyaml_and_python_emitters_print_the_same_bytes() -> None:
    class PurePython(yaml.SafeDumper):
        def ignore_aliases(self, data):  # noqa: ANN001
            return True

    PurePython.add_representer(str, yaml_text._str_representer)
    expected = yaml.dump(TRICKY, Dumper=PurePython, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=4096)
    assert yaml_text.to_yaml(TRICKY) == expected
    assert yaml.safe_load(yaml_text.to_yaml(TRICKY)) == TRICKY
    assert "&" not in yaml_text.to_yaml(TRICKY).split("star")[0]  # no anchors for repeated dicts
