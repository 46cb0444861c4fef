"""Alerts route by team only for teams that sent CONFIGURE_ALERTING; every other team's alerts page the receivers
of the first alerting answer (issue 24: one team's PagerDuty key got 15 of 24 critical label sets, with no word).
The bundle names each such team, how many alert rules it has, and where they go."""

from __future__ import annotations

from collections import Counter

import yaml

from bundle_proofs import files_of
from test_architecture_bundles import bundle_for


def test_each_team_without_its_own_alerting_is_named_with_where_its_pages_go() -> None:
    bundle, answers = bundle_for("sock-shop")
    configured = {answer["team"] for answer in answers if answer["status"] == "ALERT_RULES"}
    teams = Counter(rule["labels"]["team"] for path, text in files_of(bundle).items()
                    if path.startswith("prometheus/rules/")
                    for group in yaml.safe_load(text)["groups"] for rule in group["rules"] if "alert" in rule)
    warned = {w["message"].split(":")[0].removeprefix("team "): w["message"] for w in bundle["warnings"]
              if w["code"] == "TEAM_WITHOUT_ALERTING"}
    assert set(warned) == set(teams) - configured and warned
    for team, message in warned.items():
        assert f"{teams[team]} alert rules carry team={team}" in message
        assert "reach the receivers of team " in message and f"CONFIGURE_ALERTING with team {team}" in message
