"""The SLO specification's Grafana dashboard for one service: budget remaining, burn rate per window, and the
SLI against its objective, for the SLO picked in the `slo` variable.

Every query reads the specification's own recorded series (planners.conventions names them), so the panels
show exactly what the burn-rate alerts evaluate.
"""

from __future__ import annotations

from typing import Any, Sequence

from planners import conventions
from planners.renderers.grafana import PanelSpec, Query, dashboard


def slo_dashboard(service: str | None, slo_names: Sequence[str], windows: Sequence[str],
                  uid: str | None = None) -> str:
    """`windows`: the SLO windows of the service's objectives (30d, 7d, ...), for the SLI-over-window panel."""
    labels = ([f'{conventions.SERVICE}="{service}"'] if service else []) + [f'{conventions.SLO}="$slo"']
    selector = "{" + ",".join(labels) + "}"
    on = f"on ({conventions.SERVICE}, {conventions.SLO})"
    # The window goes into a label of its own: a division drops __name__, and series differing only by it collide.
    prefix = conventions.slo_error_ratio_record("")
    ratios = (f'label_replace({{__name__=~"{prefix}.+",' + selector[1:]
              + f', "window", "$1", "__name__", "{prefix}(.+)")')
    over_window = " or ".join(f"{conventions.slo_error_ratio_record(window)}{selector}" for window in sorted(set(windows)))
    panels = [
        PanelSpec("Error budget remaining", "Share of this window's error budget still unspent; the card's policy "
                  "warns below 25 % and freezes deployments below 10 %.", "percentunit",
                  (Query(f"{conventions.SLO_BUDGET_REMAINING_RECORD}{selector}", "remaining"),)),
        PanelSpec("Burn rate per window", "Error ratio over each alert window divided by the error budget: 1 spends "
                  "the budget exactly over the SLO window; the page tiers fire at 14.4 and 6 (30d).", "short",
                  (Query(f"{ratios} / {on} group_left {conventions.SLO_ERROR_BUDGET_RECORD}{selector}", "{{window}}"),)),
        PanelSpec("SLI over the SLO window against the objective", "1 minus the error ratio over the whole window, "
                  "and the objective it must stay above.", "percentunit",
                  (Query(f"1 - ({over_window})", "SLI"),
                   Query(f"{conventions.SLO_OBJECTIVE_RECORD}{selector}", "objective"))),
    ]
    uid = uid or conventions.slo_dashboard_uid(service)
    title = f"SLOs: {service}" if service else "SLOs: system"
    return dashboard(uid, title, f"Error budgets and burn rates of {service or 'the system'}'s SLOs "
                     "(pick one in the slo variable).", ["observability", "slo"], panels, [slo_variable(slo_names)])


def slo_variable(slo_names: Sequence[str]) -> dict[str, Any]:
    """A custom variable: its options are exactly the SLOs the specification defines, so a link's var-slo
    value can be checked against them."""
    names = sorted(slo_names)
    return {"name": "slo", "label": "SLO", "type": "custom", "query": ",".join(names),
            "current": {"text": names[0], "value": names[0]} if names else {},
            "options": [{"text": name, "value": name, "selected": index == 0} for index, name in enumerate(names)],
            "hide": 0}


def slo_dashboard_at(uid: str, spec: Any) -> str:
    """The dashboard of one SLO (a planners.slo.burn_rate.SliSpec) under a uid of its own."""
    return slo_dashboard(spec.service, [spec.slo], [spec.window], uid)
