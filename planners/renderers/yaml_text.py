"""YAML text for every generated artifact: block style, no anchors, keys in the order the code built them.

One dumper so that every artifact quotes and wraps the same way and the bytes are stable across runs.
"""

from __future__ import annotations

from typing import Any

import yaml


# libyaml's emitter when PyYAML was built with it: same bytes, about ten times faster on big rule files.
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ArtifactDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data: Any) -> bool:  # repeated dicts must print in full, not as *anchors
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line strings (PromQL expressions, descriptions) read best as literal blocks.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ArtifactDumper.add_representer(str, _str_representer)


def to_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_ArtifactDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=4096)


def to_yaml_documents(documents: list[Any]) -> str:
    """Several YAML documents in one file (Kubernetes manifests), separated by '---'."""
    return yaml.dump_all(documents, Dumper=_ArtifactDumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=4096, explicit_start=True)
