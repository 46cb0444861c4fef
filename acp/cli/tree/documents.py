"""The Markdown files a render adds to its tree: README.md (what is here and what to do next) in every tree,
HEALTH.md for a status report. Presentation only: both are made from the response and the render's report."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

README = "README.md"
HEALTH = "HEALTH.md"


def _cell(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _md_list(items: list[str]) -> list[str]:
    return [f"- {item}" for item in items] or ["- none"]


def readme(report: Mapping[str, Any]) -> str:
    answer = report["answer"]
    lines = [
        f"# {answer.get('status')} for system `{answer.get('system')}`",
        "",
        f"Written by `acpctl render` from the answer to request `{answer.get('request_id')}` "
        f"(response hash `{answer.get('hash')}`). `.acpctl-render.json` lists every file it wrote, signed with the "
        "render key of whoever ran it, so that their `acpctl render --force` into this folder replaces them and "
        "removes the ones a new answer no longer has, and touches nothing else.",
        "",
        "## Files",
        "",
    ]
    by_folder: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for item in report["files"]:
        folder, _, _ = item["path"].rpartition("/")
        by_folder[folder].append(item)
    for folder in sorted(by_folder):
        lines.append(f"- `{folder or '.'}/`")
        for item in by_folder[folder]:
            note = " (secret, mode 0600, git-ignored)" if item["kind"] == "secret" else ""
            lines.append(f"  - `{item['path']}`{note}")
    lines += ["", "## Warnings: act on these", "", *_md_list([
        f"**{w.get('code')}**: {w.get('message')}" for w in report.get("warnings", [])])]
    lines += ["", "## Assumptions: defaults the request did not state", "", *_md_list([
        f"**{a.get('code')}**: {a.get('message')}" + (f" (`{a['pointer']}`)" if a.get("pointer") else "")
        for a in report.get("assumptions", [])])]
    secrets = report.get("secrets", [])
    if secrets:
        lines += ["", "## Secrets", "",
                  "Values never travel in a response. Those the request gave are in `secrets/` (mode 0600, "
                  "git-ignored); create the missing ones the same way before starting the service that reads them.",
                  ""]
        for secret in secrets:
            if secret["written"]:
                lines.append(f"- `{secret['path']}`: written from the request")
            else:
                lines.append(f"- `{secret['path']}`: **missing**; create it with `{secret['create']}`")
    lines += ["", "## Next steps", "", "Run from this folder:", ""]
    for number, step in enumerate(report.get("next_steps", []), start=1):
        lines.append(f"{number}. {step['what']}" + (f":\n   ```sh\n   {step['command']}\n   ```" if step["command"] else ""))
    if not report.get("next_steps"):
        lines.append("Nothing to apply: this answer is a report.")
    return "\n".join(lines) + "\n"


def health_markdown(response: Mapping[str, Any]) -> str:
    """The OBSERVABILITY_HEALTH answer as a report to read or attach to a ticket."""
    lines = [f"# Observability health: system `{response.get('system')}`", "",
             f"Request `{response.get('request_id')}`, response hash `{response.get('hash')}`.", "",
             "## Recommendations (most urgent first)", ""]
    recommendations = response.get("recommendations") or []
    lines += [f"{i}. **{r.get('priority')}**: {r.get('message')}" for i, r in enumerate(recommendations, start=1)] \
        or ["Nothing needs attention."]
    coverage = response.get("coverage") or {}
    if coverage:
        lines += ["", "## Coverage", "",
                  f"{coverage.get('instrumented_services')} of {coverage.get('total_services')} services instrumented "
                  f"({coverage.get('coverage_percent')}%)."]
        if coverage.get("missing"):
            lines.append("Missing: " + ", ".join(f"`{m}`" for m in coverage["missing"]) + ".")
    compliance = response.get("slo_compliance") or {}
    if compliance:
        lines += ["", "## SLO compliance", "", "| service | SLO | target | actual | budget left | state | source |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for service, entry in compliance.items():
            lines.append("| " + " | ".join(_cell(v) for v in (
                service, entry.get("slo"), entry.get("target"), entry.get("actual"), entry.get("budget_remaining"),
                entry.get("state"), entry.get("source"))) + " |")
    alerts = response.get("alert_health") or {}
    if alerts:
        lines += ["", "## Alert health", "",
                  f"{alerts.get('total_alerts')} alerts, {alerts.get('firing')} firing; actionability "
                  f"{alerts.get('actionability_score')}, false-positive rate {alerts.get('false_positive_rate')}, "
                  f"mean time to resolve {alerts.get('mttr_avg_minutes')} min."]
        for noisy in alerts.get("noisy_alerts") or []:
            lines.append(f"- noisy: `{noisy.get('alert')}` ({noisy.get('reason')})")
    warnings = response.get("warnings") or []
    if warnings:
        lines += ["", "## Warnings", "", *[f"- **{w.get('code')}**: {w.get('message')}" for w in warnings]]
    return "\n".join(lines) + "\n"
