"""The spellings people use for a service's language, protocol and tier, and the one each stands for.

A request may say `language: node`, `golang`, `c#`, `c++` or `tier: 1`: the schema accepts them, the graph reads
them as the canonical value here, and the planner says so in `assumptions` (never silently). Canonical values are
the keys of planners.knowledge.languages.LANGUAGES, the protocols the planners know, and tier_1..tier_3.

Sources: the names each ecosystem calls itself by (Node.js's `node` binary, the Go project's golang.org and
`golang` image, C#/.NET, C++), and the OpenTelemetry semantic conventions' `process.runtime.name` and
`telemetry.sdk.language` values (`nodejs`, `go`, `dotnet`, `cpp`), which are our canonical spellings.
"""

from __future__ import annotations

from typing import Any, NamedTuple

LANGUAGE_ALIASES: dict[str, str] = {
    "node": "nodejs", "javascript": "nodejs",
    "golang": "go",
    "c#": "dotnet", "csharp": "dotnet",
    "c++": "cpp",
}

# Work that arrives as messages: the consumer protocol the planners call `worker` (RED metrics per message, trace
# context taken from the message). `amqp` is RabbitMQ's wire protocol, `kafka` Kafka's.
PROTOCOL_ALIASES: dict[str, str] = {
    "amqp": "worker", "kafka": "worker",
}

# A bare number is the usual shorthand for a tier (tier 1 = most critical, as in the card's `criticality: tier_1`).
TIER_ALIASES: dict[Any, str] = {1: "tier_1", 2: "tier_2", 3: "tier_3"}

ALIASES: dict[str, dict[Any, str]] = {"language": LANGUAGE_ALIASES, "protocol": PROTOCOL_ALIASES, "tier": TIER_ALIASES}


class Normalised(NamedTuple):
    field: str
    given: Any
    canonical: str


def normalise(field: str, value: Any) -> tuple[Any, Normalised | None]:
    """(canonical value, what was normalised or None). Booleans never match a tier, although True == 1."""
    table = ALIASES.get(field)
    if table is None or value is None or isinstance(value, bool):
        return value, None
    try:
        canonical = table.get(value)
    except TypeError:  # an unhashable value the schema would have refused
        return value, None
    if canonical is None:
        return value, None
    return canonical, Normalised(field, value, canonical)
