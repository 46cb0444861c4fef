"""The service-dependency graph (DESIGN.md section 5).

`ServiceGraph.from_infrastructure(request["infrastructure"])` builds it; `reference_violations`
is the engine's check, after schema validation, that names are unique and every edge endpoint exists.
Modules: `infrastructure` (reading the request), `inference` (edges guessed when none are given),
`condensation` and `chains` (the linear-time algorithms), `service_graph` (the public class).
"""

from .inference import ENTRY_NAME_TOKENS, INFERENCE_PAIR_LIMIT
from .infrastructure import (ASYNC, CACHE, CONSUME, DATABASE, PUBLISH, QUEUE, ROLES, SERVICE, SYNC, Edge,
                             reference_violations)
from .service_graph import DEFAULT_AVAILABILITY, AvailabilityBound, DependencyAvailability, ServiceGraph

__all__ = [
    "ASYNC", "CACHE", "CONSUME", "DATABASE", "PUBLISH", "DEFAULT_AVAILABILITY", "ENTRY_NAME_TOKENS", "INFERENCE_PAIR_LIMIT",
    "QUEUE", "ROLES", "SERVICE", "SYNC", "AvailabilityBound", "DependencyAvailability", "Edge", "ServiceGraph",
    "reference_violations",
]
