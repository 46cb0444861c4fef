"""The error catalogue: every way a message can fail, and how each transport says so.

One table so that gRPC, HTTP, the CLI and the library agree on what an error means. Transports look
up the status they need here; nothing else in the code invents a status code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping


@dataclass(frozen=True)
class ErrorKind:
    code: str
    grpc_status: str  # name of a grpc.StatusCode member; kept as text so the core never imports grpc
    http_status: int
    exit_code: int  # acpctl's exit status; 2 stays with argparse for usage errors
    retryable: bool
    title: str


# code, gRPC status, HTTP status, CLI exit code, retryable, what it means
_TABLE: tuple[ErrorKind, ...] = (
    ErrorKind("MALFORMED_JSON", "INVALID_ARGUMENT", 400, 10, False, "the message is not valid JSON"),
    ErrorKind("SCHEMA_VIOLATION", "INVALID_ARGUMENT", 422, 11, False, "the message breaks its schema"),
    ErrorKind("UNKNOWN_COMMAND", "INVALID_ARGUMENT", 400, 12, False, "no such cmd"),
    ErrorKind("UNSUPPORTED_RESPOND_FORMAT", "INVALID_ARGUMENT", 400, 13, False,
              "the cmd cannot answer in that respond_format"),
    ErrorKind("UNSUPPORTED_VERSION", "FAILED_PRECONDITION", 400, 14, False,
              "the acp_version's major version is not served here"),
    ErrorKind("PAYLOAD_TOO_LARGE", "INVALID_ARGUMENT", 413, 15, False,
              "the message is larger or more deeply nested than the limits allow"),
    ErrorKind("NOT_FOUND", "NOT_FOUND", 404, 16, False, "no such resource"),
    ErrorKind("CONFLICT", "ALREADY_EXISTS", 409, 17, False,
              "the request_id was already used for a different message"),
    ErrorKind("UNAUTHENTICATED", "UNAUTHENTICATED", 401, 20, False, "no valid credentials"),
    ErrorKind("PERMISSION_DENIED", "PERMISSION_DENIED", 403, 21, False, "credentials do not allow this"),
    ErrorKind("OVERLOADED", "RESOURCE_EXHAUSTED", 429, 30, True, "the server is at capacity; retry later"),
    ErrorKind("DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED", 504, 31, True, "the deadline passed before an answer"),
    ErrorKind("UNAVAILABLE", "UNAVAILABLE", 503, 32, True, "the server cannot be reached or is shutting down"),
    ErrorKind("NOT_IMPLEMENTED", "UNIMPLEMENTED", 501, 40, False, "this command's planner is not built yet"),
    ErrorKind("INTERNAL", "INTERNAL", 500, 50, False, "a fault in the server; it has been logged"),
)

CATALOGUE: Mapping[str, ErrorKind] = {kind.code: kind for kind in _TABLE}

# acpctl's exit status when something on this machine fails (a file, a folder, a port, a certificate, the state
# store): not an ACP error, so it shares no code with the catalogue. 0 is success and 2 a usage error.
EXIT_LOCAL_FAILURE = 3


@dataclass(frozen=True)
class Violation:
    """One broken rule, located by a JSON pointer into the message. Never carries the rejected value."""

    pointer: str
    keyword: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "keyword": self.keyword, "message": self.message}


class AcpError(Exception):
    """Base of every catalogue error. `code` selects the catalogue row."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(
        self,
        message: str | None = None,
        violations: Iterable[Violation] = (),
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message or self.kind.title
        self.violations = tuple(violations)
        self.details = dict(details or {})
        super().__init__(self.message)

    @property
    def kind(self) -> ErrorKind:
        return CATALOGUE[self.code]

    @property
    def retryable(self) -> bool:
        return self.kind.retryable

    def to_error_object(self) -> dict[str, Any]:
        """The `error` member of an ACP error message."""
        body: dict[str, Any] = {"code": self.code, "message": self.message, "retryable": self.retryable}
        if self.violations:
            body["violations"] = [v.to_dict() for v in self.violations]
        if self.details:
            body["details"] = dict(sorted(self.details.items()))
        return body

    @classmethod
    def from_error_object(cls, error: Mapping[str, Any]) -> "AcpError":
        """Rebuild the exception a transport's client received as an ACP error object."""
        exc_type = EXCEPTIONS.get(str(error.get("code")), InternalError)
        violations = [
            Violation(str(v.get("pointer", "")), str(v.get("keyword", "")), str(v.get("message", "")))
            for v in error.get("violations", ()) or ()
        ]
        return exc_type(str(error.get("message") or ""), violations, error.get("details") or None)


def _exception(name: str, code: str) -> type[AcpError]:
    return type(name, (AcpError,), {"code": code, "__doc__": CATALOGUE[code].title.capitalize() + "."})


MalformedJson = _exception("MalformedJson", "MALFORMED_JSON")
SchemaViolation = _exception("SchemaViolation", "SCHEMA_VIOLATION")
UnknownCommand = _exception("UnknownCommand", "UNKNOWN_COMMAND")
UnsupportedRespondFormat = _exception("UnsupportedRespondFormat", "UNSUPPORTED_RESPOND_FORMAT")
UnsupportedVersion = _exception("UnsupportedVersion", "UNSUPPORTED_VERSION")
PayloadTooLarge = _exception("PayloadTooLarge", "PAYLOAD_TOO_LARGE")
NotFound = _exception("NotFound", "NOT_FOUND")
Conflict = _exception("Conflict", "CONFLICT")
Unauthenticated = _exception("Unauthenticated", "UNAUTHENTICATED")
PermissionDenied = _exception("PermissionDenied", "PERMISSION_DENIED")
Overloaded = _exception("Overloaded", "OVERLOADED")
DeadlineExceeded = _exception("DeadlineExceeded", "DEADLINE_EXCEEDED")
Unavailable = _exception("Unavailable", "UNAVAILABLE")
NotImplementedYet = _exception("NotImplementedYet", "NOT_IMPLEMENTED")
InternalError = _exception("InternalError", "INTERNAL")

EXCEPTIONS: Mapping[str, type[AcpError]] = {
    exc.code: exc
    for exc in (
        MalformedJson, SchemaViolation, UnknownCommand, UnsupportedRespondFormat, UnsupportedVersion,
        PayloadTooLarge, NotFound, Conflict, Unauthenticated, PermissionDenied, Overloaded, DeadlineExceeded,
        Unavailable, NotImplementedYet, InternalError,
    )
}
assert set(EXCEPTIONS) == set(CATALOGUE), "every catalogue row needs its exception class"
