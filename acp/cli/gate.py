"""`acpctl gate --system S --service X`: may X be deployed now? Sends DEPLOYMENT_GATE (embedded by default, or to
--server) and exits 0 when the answer allows the deployment and 4 when it denies it, so a CI step can run it as is.

The decision follows the error-budget policy: an exhausted budget or a burning SLO (a page tier's condition holding)
denies, a budget in warning allows with conditions, a healthy one allows. With --prometheus-url (and
--alertmanager-url) the embedded engine measures live burn rates and firing alerts; without a live source it
decides from what agents reported and says so. Each query to a live source must answer in full within
--source-timeout seconds (connecting and the whole body), or the gate fails as UNAVAILABLE (exit 32). Piped (or
-o json), stdout is the GATE_DECISION JSON and stderr one line with the decision and its main reason; on a
terminal, a summary.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Mapping

from acp.cli.args import (
    add_output_option,
    add_quiet_option,
    add_server_options,
    add_source_timeout_option,
    add_state_options,
)
from acp.cli.exits import UsageError

ALLOW_EXIT = 0
# Not success (0), a bug (1), a usage error (2), a local failure (3) or an ACP error (10 and up): a CI step can tell
# a refusal from a failure to ask (tests/test_gate_cli.py holds it apart from every code acpctl documents).
DENY_EXIT = 4

EXIT_CODES = f"""\
exit codes of acpctl gate:
  {ALLOW_EXIT:>3}  allow: the deployment may go ahead (read `conditions` in the answer for an allow with conditions)
  {DENY_EXIT:>3}  deny: the policy refuses the deployment now (`reasons` and `would_change` say why and what would help)
    2  usage: a wrong or missing flag
    3  a local failure (the state store, a certificate)
  10+  the request failed: the ACP error's code (11 SCHEMA_VIOLATION, 32 UNAVAILABLE when Prometheus or
       Alertmanager cannot be reached, ...), as for `acpctl send`

examples:
  acpctl gate --system shop --service checkout --prometheus-url http://prometheus:9090
  acpctl gate --system shop --service checkout --prometheus-url http://prometheus:9090 --source-timeout 2
  acpctl gate --server http://acp.internal:8080 --system shop --service checkout --change "$GIT_SHA" -o json > gate.json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    # The exit codes go in the description: acpctl's root parser writes every subcommand's epilog (its own table).
    parser = subparsers.add_parser("gate", help="ask whether a service may be deployed now (exit 0 allow, 4 deny)",
                                   description=f"{__doc__}\n{EXIT_CODES}")
    parser.add_argument("--system", default="default", metavar="NAME", help="the system (default: %(default)s)")
    parser.add_argument("--service", required=True, metavar="NAME", help="the service about to be deployed")
    parser.add_argument("--change", metavar="TEXT", default=None,
                        help="what is being deployed (a version or commit), echoed in the answer")
    parser.add_argument("--critical-fix", action="store_true",
                        help="the deployment is a critical fix: an exhausted or burning service lets it through "
                             "with conditions (the policy freezes non-critical deployments only)")
    parser.add_argument("--when-unknown", choices=("allow", "deny"), default=None,
                        help="the decision when nothing measures the service's SLOs (the server's default: deny)")
    add_output_option(parser)
    add_quiet_option(parser)
    add_server_options(parser)
    add_state_options(parser)
    add_source_timeout_option(parser)
    parser.set_defaults(func=run)


def gate_message(args: argparse.Namespace) -> dict[str, Any]:
    message: dict[str, Any] = {"cmd": "DEPLOYMENT_GATE", "system": args.system, "service": args.service}
    if args.change is not None:
        message["change"] = args.change
    if args.critical_fix:
        message["critical_fix"] = True
    if args.when_unknown is not None:
        message["when_unknown"] = args.when_unknown
    return message


def summary(response: Mapping[str, Any]) -> str:
    """The one line a CI log shows: decision, service, state, the first reason that decided it."""
    reasons = [r for r in response.get("reasons") or [] if r.get("effect") in ("deny", "condition")]
    first = (reasons or list(response.get("reasons") or []) or [{}])[0].get("message", "")
    basis = "" if response.get("basis") == "live" else " [decided from reported figures, no live source]"
    return (f"acpctl gate: {response.get('decision')} {response.get('service')} "
            f"({response.get('policy_state')}){': ' + first if first else ''}{basis}")


def run(args: argparse.Namespace) -> int:
    from acp.cli.messages import to_json_bytes
    from acp.cli.output import emit, output_format
    from acp.cli.target import exchange

    message = to_json_bytes(gate_message(args))
    if getattr(args, "server", None):
        if args.source_timeout is not None:
            raise UsageError("--source-timeout: only used by the embedded engine (a server reads its own sources)")
        response = exchange(message, args, announce_state=False)
    else:
        response = _embedded(message, args)
    code = emit(response, args)
    if code != 0:
        return code
    if output_format(args) != "summary" and not args.quiet:
        print(summary(response), file=sys.stderr)
    return ALLOW_EXIT if response.get("decision") == "allow" else DENY_EXIT


def _embedded(message: bytes, args: argparse.Namespace) -> dict[str, Any]:
    """acp.cli.target.exchange's embedded path, with the live sources bounded by --source-timeout."""
    from acp.cli.state_store import open_cli_store
    from acp.cli.target import check_server_options
    from acp.engine import Engine
    from acp.sources import live_source

    check_server_options(args)
    try:
        live = live_source(args.prometheus_url, args.alertmanager_url, timeout=args.source_timeout)
    except ValueError as exc:  # a URL that is not http(s)://host: a usage error, said in one line
        raise UsageError(f"--prometheus-url / --alertmanager-url: {exc}") from None
    store = open_cli_store(args)
    try:
        return Engine(store=store, live_source=live).handle(message)
    finally:
        store.close()
