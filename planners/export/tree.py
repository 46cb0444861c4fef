"""The files of a system's accepted answers, gathered into one tree with one owner per path.

Answers are layered in the order agents build a system: the setup, then each service's SLO specification, then
each alerting configuration. Rules the layers would both write go to their one owner:
- an SLO's rules belong to the stored SLO specification that defines it; rules a CONFIGURE_ALERTING wrote for it
  before any specification existed (its own file, tests and dashboard) are left out, and `files_superseded` says so;
- a runbook written by several layers comes from the highest one (alerting's also names receivers and escalation);
- alertmanager.yml and its routing cases are merged from every alerting answer (planners.export.alertmanager);
- any other path two answers write with different content is a conflict the checks report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from planners import conventions

LAYERS = {"setup": 0, "slos": 1, "alerting": 2}
CMD_OF_PART = {"setup": "OBSERVABILITY_SETUP", "slos": "DEFINE_SLOS", "alerting": "CONFIGURE_ALERTING"}
MERGED = frozenset({"alertmanager/alertmanager.yml", "alertmanager/routing-tests.txt"})


@dataclass
class Answer:
    part: str
    key: str
    request_id: str
    cmd: str
    response: Mapping[str, Any]

    @property
    def files(self) -> list[Mapping[str, str]]:
        return list(self.response.get("artifacts") or ())

    @property
    def display_id(self) -> str:
        # A message without a caller's request_id is logged under "<derived id>/<suffix>"; show the id it carried.
        return self.request_id.split("/", 1)[0]


@dataclass
class Tree:
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # path -> artifact
    owner: dict[str, Answer] = field(default_factory=dict)
    used: dict[int, int] = field(default_factory=dict)  # id(answer) -> files used
    superseded: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def supersede(self, answer: Answer, path: str, reason: str) -> None:
        self.superseded.setdefault(id(answer), []).append({"path": path, "reason": reason})


def answers_of(stored: Mapping[str, Any]) -> list[Answer]:
    rows = [Answer(row["part"], row["key"], row["request_id"], row["cmd"], row["response"])
            for row in stored.get("answers") or () if row.get("part") in LAYERS]
    return sorted(rows, key=lambda answer: (LAYERS[answer.part], answer.key))


def gather(answers: Iterable[Answer]) -> Tree:
    answers = list(answers)
    tree = Tree()
    owned_slos = _specified_slos(answers)
    for answer in answers:
        skipped = _superseded_paths(answer, owned_slos)
        for item in answer.files:
            path = item["path"]
            if path in skipped:
                tree.supersede(answer, path, skipped[path])
                continue
            if path in MERGED:
                continue  # merged from every alerting answer into one file
            _place(tree, answer, dict(item))
    return tree


def _place(tree: Tree, answer: Answer, item: dict[str, str]) -> None:
    path = item["path"]
    current = tree.files.get(path)
    if current is None or current["content"] == item["content"]:
        if current is None:
            tree.files[path], tree.owner[path] = item, answer
            tree.used[id(answer)] = tree.used.get(id(answer), 0) + 1
        return
    previous = tree.owner[path]
    if path.startswith(conventions.RUNBOOK_DIR + "/") and LAYERS[answer.part] > LAYERS[previous.part]:
        tree.supersede(previous, path, f"replaced by the runbook of {answer.cmd} {answer.display_id}, which also "
                                       "names the receivers and the escalation")
        tree.used[id(previous)] -= 1
        tree.files[path], tree.owner[path] = item, answer
        tree.used[id(answer)] = tree.used.get(id(answer), 0) + 1
        return
    if path.startswith(conventions.RUNBOOK_DIR + "/") and LAYERS[answer.part] < LAYERS[previous.part]:
        tree.supersede(answer, path, f"replaced by the runbook of {previous.cmd} {previous.display_id}")
        return
    tree.conflicts.append(f"{path}: {previous.cmd} {previous.display_id} and {answer.cmd} {answer.display_id} "
                          "write different content; the later one is kept")
    tree.supersede(previous, path, f"conflicts with {answer.cmd} {answer.display_id}, whose file is kept")
    tree.used[id(previous)] -= 1
    tree.files[path], tree.owner[path] = item, answer
    tree.used[id(answer)] = tree.used.get(id(answer), 0) + 1


def _specified_slos(answers: list[Answer]) -> dict[tuple[str, str], Answer]:
    """(service, slo) -> the stored specification that defines it."""
    owned = {}
    for answer in answers:
        if answer.part == "slos":
            for slo in answer.response.get("slos") or ():
                owned[(str(answer.response.get("service")), str(slo.get("name")))] = answer
    return owned


def _superseded_paths(answer: Answer, owned: Mapping[tuple[str, str], Answer]) -> dict[str, str]:
    """An alerting answer's own SLO rules, when a specification now owns that SLO: path -> reason."""
    slo = answer.response.get("slo") if answer.part == "alerting" else None
    if not isinstance(slo, Mapping) or slo.get("rules_source") != "this_answer" or slo.get("service") is None:
        return {}
    spec = owned.get((str(slo["service"]), str(slo["name"])))
    if spec is None:
        return {}
    reason = (f"the SLO specification of {slo['service']} ({spec.cmd} {spec.display_id}) owns SLO {slo['name']}'s "
              "series and alerts now")
    rule_file = str(slo.get("rule_file"))
    return {rule_file: reason, conventions.rule_test_file(rule_file): reason,
            conventions.dashboard_path(conventions.own_slo_dashboard_uid(slo["service"], slo["name"])): reason}
