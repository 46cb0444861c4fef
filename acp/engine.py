"""The one engine every transport calls: message in, ACP response out, never an exception.

    raw ─► limits ─► JSON ─► envelope (cmd, version, respond_format) ─► schema ─► references ─► planner ─► response
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Protocol

from acp import ecma_regex, schemas
from acp.canonical import content_hash, derived_request_id, request_digest
from acp.commands import COMMANDS, Command
from acp.deadline import Ticket
from acp.errors import (
    AcpError, Conflict, InternalError, MalformedJson, NotImplementedYet, SchemaViolation, UnknownCommand,
    UnsupportedRespondFormat, UnsupportedVersion, Violation,
)
from acp.library_values import plain_message
from acp.limits import Limits, check_depth, decode, unrepresentable
from acp.version import ACP_VERSION, SERVER_VERSION, SUPPORTED_MAJOR_VERSIONS
from planners.context import PlanContext

if TYPE_CHECKING:
    from pydantic import BaseModel

    from acp.store import Store

log = logging.getLogger("acp.engine")


class LiveSource(Protocol):
    """Where live measurements come from (acp.sources.prometheus.PrometheusSource)."""

    def live(self, state: Mapping[str, Any]) -> dict[str, Any]: ...

# The patterns of defs.json#/$defs/acp_version and request_id, read as the schema reads them ("$" is the end).
_VERSION = ecma_regex.compiled(r"^[0-9]{1,3}\.[0-9]{1,3}$")
_REQUEST_ID = ecma_regex.compiled(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

Message = Mapping[str, Any] | str | bytes | bytearray | memoryview
UNIDENTIFIED = "acp-unidentified"  # the request_id of an answer to a message whose own could not be read


class Engine:
    """`Engine().handle(message)` answers any message with an ACP response dict.

    validate_responses: check every response against its schema (tests turn it on; a failure is an INTERNAL
    error, logged with the violations, because a response that breaks its own contract must not go out).
    """

    def __init__(
        self, *, validate_responses: bool = False, limits: Limits | None = None,
        store: Store | None = None, live_source: LiveSource | None = None,
    ) -> None:
        self.validate_responses = validate_responses
        self.limits = limits or Limits()
        self.store = store  # None: a stateless engine (the library default); the CLI and server pass one
        self.live_source = live_source

    def handle(self, message: Message | BaseModel, ticket: Ticket | None = None) -> dict[str, Any]:
        """The ACP response to one message, as a dict; never raises for bad input.

        message: JSON text or bytes, a dict, or a request model from `acp.models` (for example
        `DefineSlosRequest`). Dicts may come from `model.model_dump()`: None values count as absent and enum
        members as their values. The answer is a success (`status` is the command's respond format) or an
        error (`status: "ERROR"`, with `error.code` from `acp.CATALOGUE` and a JSON pointer per violation).

        ticket: the request's deadline, shared with the transport (acp.deadline). An answer is written to the
        store only if the ticket allows it; once it has been, it is the answer, however late.
        """
        ticket = ticket or Ticket()
        request_id: str | None = None
        try:
            request = self._decode(message)
            request_id = ticket.request_id = _usable_request_id(request)  # first, so every error can echo it
            identity = _identity(request)
            request_id = ticket.request_id = identity.request_id
            ticket.check()
            return self._answer(request, identity, ticket)
        except AcpError as error:
            return self._error(error, request_id)
        except Exception:  # a bug must cost one request, not the server
            log.exception("internal error while handling request %s", request_id)
            return self._error(InternalError(), request_id)

    def describe(self) -> dict[str, Any]:
        return self.handle({"cmd": "DESCRIBE"})

    def identify(self, message: Message | BaseModel) -> str:
        """The request_id an answer to `message` carries: the caller's, else one derived from the content
        (what a transport puts in an error it makes itself, such as DEADLINE_EXCEEDED for a queued request)."""
        try:
            request = self._decode(message)
            return _usable_request_id(request) or _identity(request).request_id
        except AcpError:
            return UNIDENTIFIED

    # -- steps --------------------------------------------------------------------------------------------

    def _decode(self, message: Message | BaseModel) -> Any:
        message = plain_message(message)  # request models, and dicts from model_dump() (None, Enum members)
        if isinstance(message, (bytes, bytearray, memoryview)):
            return decode(bytes(message), self.limits)
        if isinstance(message, str):
            return decode(message, self.limits)
        if isinstance(message, Mapping):
            # A library caller's dict goes through the same limits and the same JSON types as the wire.
            check_depth(message, self.limits)
            try:
                text = json.dumps(message, ensure_ascii=False)  # NaN and inf are refused later, with a pointer
            except (TypeError, ValueError) as exc:
                raise MalformedJson(f"the message holds a value JSON cannot carry: {type(exc).__name__}") from None
            return decode(text, self.limits)
        raise MalformedJson(f"a message is a JSON object, text or bytes, not {type(message).__name__}")

    def _answer(self, request: Any, identity: _Identity, ticket: Ticket) -> dict[str, Any]:
        request_id = identity.request_id
        if not isinstance(request, dict):
            raise SchemaViolation(
                "an ACP message is a JSON object",
                [Violation("", "type", "must be of type object")],
            )
        check_depth(request, self.limits)
        command = _command_of(request)
        _check_version(request)
        _check_respond_format(request, command)

        found = self._request_violations(command, request)
        if found:
            raise SchemaViolation(_count(found), found)
        ticket.check()  # validation of a large message takes time; planning takes more

        system = request.get("system", "default")
        if request.get("validate_only"):
            content: dict[str, Any] = {"cmd": command.cmd, "respond_format": command.respond_format}
            return self._response("VALID", request_id, system, content, [], [], "validation_result")
        if command.cmd == "DESCRIBE":
            return self._response("CAPABILITIES", request_id, system, self._capabilities(), [], [])
        if not command.implemented:
            raise NotImplementedYet(
                f"{command.cmd} is accepted and validated, but its planner is not built yet",
                details={"cmd": command.cmd},
            )
        remembered = self._remembered_answer(command, identity)
        if remembered is not None:
            return remembered
        stored = self._stored_state(command, system)
        ticket.check()
        output = command.plan(request, PlanContext(system=system, stored=stored))
        response = self._response(
            command.respond_format, request_id, system, output.content,
            output.findings.warnings, output.findings.assumptions,
        )
        return self._record(command, request, identity, response, ticket)

    # -- state ---------------------------------------------------------------------------------------------

    def _remembered_answer(self, command: Command, identity: _Identity) -> dict[str, Any] | None:
        """A caller's request_id sent again answers from the log instead of planning and writing twice."""
        if self.store is None or not command.records_state or identity.caller_id is None:
            return None
        previous = self.store.lookup(identity.caller_id)
        if previous is None:
            return None
        if previous.request_hash != identity.request_hash:
            raise Conflict(
                "this request_id was already used for a different message; send a new request_id",
                [Violation("/request_id", "unique", "was already used for a different message")],
            )
        return previous.response

    def _stored_state(self, command: Command, system: str) -> dict[str, Any]:
        if self.store is None and self.live_source is None:
            return {}
        stored = dict(self.store.state(system)) if self.store is not None else {}
        if self.store is not None and command.reads_answers:
            stored["answers"] = self.store.answers(system)
        if self.live_source is not None and command.reads_live_source:
            stored["live"] = self.live_source.live(stored)
        return stored

    def _record(self, command: Command, request: dict[str, Any], identity: _Identity,
                response: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
        """Durable before the answer leaves: a crash after this returns loses nothing acknowledged. Nothing is
        written for a request the transport has given up on: its caller got an error, so its state is unchanged."""
        if self.store is None or not command.records_state:
            return response
        if not ticket.begin_commit():
            raise ticket.error()
        # A derived id names the content, not one sending of it: the same message after the state changed is
        # planned again and logged again, under a log key of its own.
        log_id = identity.caller_id or f"{identity.request_id}/{uuid.uuid4().hex[:16]}"
        written = self.store.record(
            system=response["system"], request_id=log_id, cmd=command.cmd,
            request_hash=identity.request_hash, request=request, response=response, response_key=response["hash"],
        )
        if not written and identity.caller_id is not None:  # the same request_id raced us: answer from the log
            return self._remembered_answer(command, identity) or response
        return response

    def _request_violations(self, command: Command, request: dict[str, Any]) -> list[Violation]:
        if command.request_schema not in schemas.schema_names():
            return []  # only possible while a command's schema is still being written; its planner is unbuilt too
        found = schemas.violations(command.request_schema, request)
        if not found:
            found = [_without_echo(v, request) for v in command.reference_violations(request)]
        return found

    def _response(
        self, status: str, request_id: str, system: str, content: Mapping[str, Any],
        warnings: list[dict[str, str]], assumptions: list[dict[str, str]], schema: str | None = None,
    ) -> dict[str, Any]:
        response: dict[str, Any] = {
            "status": status, "acp_version": ACP_VERSION, "request_id": request_id, "system": system,
            **content, "warnings": warnings, "assumptions": assumptions,
        }
        response["hash"] = content_hash(response)
        if self.validate_responses:
            broken = schemas.violations(schema or status.lower(), response)
            if broken:
                log.error("response breaks its schema %s: %s", schema or status.lower(),
                          [v.to_dict() for v in broken])
                raise InternalError("the planner produced a response that breaks its own schema")
        return response

    def _error(self, error: AcpError, request_id: str | None) -> dict[str, Any]:
        response: dict[str, Any] = {
            "status": "ERROR", "acp_version": ACP_VERSION,
            "request_id": request_id or UNIDENTIFIED,
            "error": error.to_error_object(), "warnings": [], "assumptions": [],
        }
        response["hash"] = content_hash(response)
        return response

    def _capabilities(self) -> dict[str, Any]:
        return {
            "server": {"name": "acp-observability", "version": SERVER_VERSION, "acp_versions": [ACP_VERSION]},
            "commands": [
                {
                    "cmd": c.cmd, "respond_format": c.respond_format, "request_schema": c.request_schema,
                    "response_schema": c.response_schema, "implemented": c.implemented,
                    "description": c.description,
                }
                for c in COMMANDS.values()
            ],
            "limits": {
                "max_message_bytes": self.limits.max_message_bytes,
                "max_nesting_depth": self.limits.max_nesting_depth,
            },
            "schemas": schemas.schema_names(),
        }


@dataclass(frozen=True)
class _Identity:
    """Who a request is, worked out once: its id in the response, the caller's own id (the idempotency key)
    if it sent a usable one, and the hash of its content in the message log."""

    request_id: str
    caller_id: str | None
    request_hash: str

    @classmethod
    def of(cls, request: Any) -> "_Identity":
        digest = request_digest(request)
        caller_id = _usable_request_id(request)
        return cls(caller_id or derived_request_id(digest), caller_id, "sha256:" + digest)


def _identity(request: Any) -> _Identity:
    """The request's identity; a value that has no canonical JSON (1e400, a lone surrogate) is MALFORMED_JSON."""
    problem = None
    try:
        return _Identity.of(request)
    except (ValueError, UnicodeEncodeError, RecursionError):
        problem = unrepresentable(request)
    if problem is None:  # nothing a walk can point at: still not a message this server can carry
        problem = MalformedJson("the message holds a value JSON cannot carry")
    raise problem


def _usable_request_id(request: Any) -> str | None:
    if not isinstance(request, dict):
        return None
    candidate = request.get("request_id")
    if isinstance(candidate, str) and _REQUEST_ID.match(candidate):
        return candidate
    return None  # an invalid one is reported by schema validation; the error carries a derived id instead


def _without_echo(violation: Violation, request: Any) -> Violation:
    """A violation message never repeats the value it is about (DESIGN.md section 2), whoever wrote the check:
    a quoted copy of the value at the violation's pointer is replaced by "this value"."""
    value = _at_pointer(request, violation.pointer)
    if not isinstance(value, str) or not value:
        return violation
    message = violation.message
    for quoted in (f"'{value}'", f'"{value}"'):
        message = message.replace(quoted, "this value")
    return violation if message == violation.message else Violation(violation.pointer, violation.keyword, message)


def _at_pointer(document: Any, where: str) -> Any:
    node = document
    for part in where.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _command_of(request: dict[str, Any]) -> Command:
    if "cmd" not in request:
        raise SchemaViolation("the message has no cmd", [Violation("/cmd", "required", "is required")])
    cmd = request["cmd"]
    if not isinstance(cmd, str):
        raise SchemaViolation("cmd must be a string", [Violation("/cmd", "type", "must be of type string")])
    if cmd not in COMMANDS:
        raise UnknownCommand(
            "unknown cmd; see details.commands for the ones served",
            [Violation("/cmd", "enum", "must be one of " + ", ".join(sorted(COMMANDS)))],
            details={"commands": sorted(COMMANDS)},
        )
    return COMMANDS[cmd]


def _check_version(request: dict[str, Any]) -> None:
    version = request.get("acp_version")
    if not isinstance(version, str) or not _VERSION.match(version):
        return  # a malformed version is the schema's to report, with its pointer
    major = str(int(version.split(".", 1)[0]))  # "01.0" is major 1
    if major not in SUPPORTED_MAJOR_VERSIONS:
        raise UnsupportedVersion(
            f"acp_version major {major} is not served; this server speaks {ACP_VERSION}",
            [Violation("/acp_version", "enum", f"major version must be one of {', '.join(SUPPORTED_MAJOR_VERSIONS)}")],
            details={"supported": [ACP_VERSION]},
        )


def _check_respond_format(request: dict[str, Any], command: Command) -> None:
    wanted = request.get("respond_format", command.respond_format)
    if wanted != command.respond_format:
        raise UnsupportedRespondFormat(
            f"{command.cmd} answers only in {command.respond_format}",
            [Violation("/respond_format", "const", f"must be \"{command.respond_format}\"")],
            details={"cmd": command.cmd, "allowed": [command.respond_format]},
        )


def _count(found: list[Violation]) -> str:
    noun = "violation" if len(found) == 1 else "violations"
    capped = " (list cut at the report limit)" if len(found) >= schemas.MAX_REPORTED_VIOLATIONS else ""
    return f"the message breaks its schema: {len(found)} {noun}{capped}"
