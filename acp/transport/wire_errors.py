"""ACP error messages on the wire: catalogue row -> gRPC status with rich details, or HTTP status.

The engine answers every failure as an ACP error message. This module turns such a message into each
transport's native form and back, so that a client receives the very same object over every transport.
It also builds the error messages the transports themselves raise (auth, overload, size, shutdown)
before a request ever reaches the engine.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from acp.canonical import content_hash
from acp.errors import CATALOGUE, EXCEPTIONS, AcpError, ErrorKind
from acp.v1 import acp_pb2
from acp.version import ACP_VERSION

ERROR_DOMAIN = "acp-observability.dev"
# grpc-status-details-bin travels base64-encoded in the trailers, which peers cap at 8 KiB by default;
# 3 KiB of serialized Status stays well under that. Violations that do not fit are counted, not sent.
RICH_DETAILS_BUDGET = 3 * 1024


def error_message(exc: AcpError, request_id: str | None = None) -> dict[str, Any]:
    """An ACP error message for a failure the transport found before the engine saw the request.

    The request was not parsed, so there is no caller id to echo; the id is derived from the content
    so that the same refusal always reads the same.
    """
    body: dict[str, Any] = {
        "status": "ERROR",
        "acp_version": ACP_VERSION,
        "warnings": [],
        "assumptions": [],
        "error": exc.to_error_object(),
    }
    digest = content_hash(body)
    return {**body, "request_id": request_id or "transport-" + digest[7:23], "hash": digest}


def error_kind(response: Mapping[str, Any]) -> ErrorKind | None:
    """The catalogue row of an ACP error message; None for a success."""
    if response.get("status") != "ERROR":
        return None
    code = str((response.get("error") or {}).get("code", "INTERNAL"))
    return CATALOGUE.get(code, CATALOGUE["INTERNAL"])


def http_status(response: Mapping[str, Any]) -> int:
    kind = error_kind(response)
    return 200 if kind is None else kind.http_status


def grpc_code(kind: ErrorKind) -> grpc.StatusCode:
    return grpc.StatusCode[kind.grpc_status]


def to_rich_status(response: Mapping[str, Any]) -> grpc.Status:
    """The gRPC status for an ACP error message: ErrorInfo with the code, BadRequest with the violations,
    and the message itself as a packed AcpMessage when it fits the trailer budget."""
    kind = error_kind(response) or CATALOGUE["INTERNAL"]
    error = response.get("error") or {}
    metadata = {
        "retryable": "true" if error.get("retryable", kind.retryable) else "false",
        "request_id": str(response.get("request_id", "")),
        "hash": str(response.get("hash", "")),
        "acp_version": str(response.get("acp_version", ACP_VERSION)),
    }
    details_text = json.dumps(error.get("details") or {}, sort_keys=True, separators=(",", ":"))
    if error.get("details") and len(details_text) <= RICH_DETAILS_BUDGET // 4:
        metadata["details"] = details_text
    violations: Sequence[Mapping[str, Any]] = error.get("violations") or ()
    bad_request = error_details_pb2.BadRequest()
    for violation in violations:
        bad_request.field_violations.add(
            field=str(violation.get("pointer", "")),
            reason=str(violation.get("keyword", "")),
            description=str(violation.get("message", "")),
        )
        if bad_request.ByteSize() > RICH_DETAILS_BUDGET // 2:
            del bad_request.field_violations[-1]
            metadata["violations_sent"] = str(len(bad_request.field_violations))
            metadata["violations_total"] = str(len(violations))
            break
    status = status_pb2.Status(
        code=getattr(code_pb2, kind.grpc_status), message=str(error.get("message") or kind.title)
    )
    _pack(status, error_details_pb2.ErrorInfo(reason=kind.code, domain=ERROR_DOMAIN, metadata=metadata))
    if bad_request.field_violations:
        _pack(status, bad_request)
    whole = acp_pb2.AcpMessage(json=json.dumps(response, separators=(",", ":"), ensure_ascii=False))
    if status.ByteSize() + whole.ByteSize() + 16 <= RICH_DETAILS_BUDGET:
        _pack(status, whole)
    return rpc_status.to_status(status)


def from_grpc_error(error: grpc.RpcError) -> dict[str, Any]:
    """Rebuild the ACP error message a server sent as a gRPC status (or make one for a bare status)."""
    status = rpc_status.from_call(error) if hasattr(error, "trailing_metadata") else None
    if status is None:
        return bare_status_message(error.code(), error.details() or "")
    info = error_details_pb2.ErrorInfo()
    bad_request = error_details_pb2.BadRequest()
    whole = acp_pb2.AcpMessage()
    for detail in status.details:
        if detail.Is(acp_pb2.AcpMessage.DESCRIPTOR):
            detail.Unpack(whole)
            return json.loads(whole.json)
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            detail.Unpack(bad_request)
    code = info.reason if info.reason in CATALOGUE else _code_for_status(error.code(), status.message)
    body: dict[str, Any] = {
        "code": code,
        "message": status.message or CATALOGUE[code].title,
        "retryable": info.metadata.get("retryable", str(CATALOGUE[code].retryable).lower()) == "true",
    }
    if bad_request.field_violations:
        body["violations"] = [
            {"pointer": v.field, "keyword": v.reason, "message": v.description} for v in bad_request.field_violations
        ]
    if "details" in info.metadata:
        body["details"] = json.loads(info.metadata["details"])
    return {
        "status": "ERROR",
        "acp_version": info.metadata.get("acp_version", ACP_VERSION),
        "request_id": info.metadata.get("request_id", ""),
        "hash": info.metadata.get("hash", ""),
        "warnings": [],
        "assumptions": [],
        "error": body,
    }


def bare_status_message(code: grpc.StatusCode, text: str) -> dict[str, Any]:
    """A status without ACP details came from gRPC itself (limits, deadlines, an unreachable peer)."""
    exc_type = _exception_for(_code_for_status(code, text))
    return error_message(exc_type(text or None))


def _code_for_status(code: grpc.StatusCode, text: str) -> str:
    # gRPC core refuses an oversized frame with RESOURCE_EXHAUSTED before any handler runs; it is a
    # size refusal, not overload, and must not be retried.
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in text:
        return "PAYLOAD_TOO_LARGE"
    preferred = {"RESOURCE_EXHAUSTED": "OVERLOADED", "INVALID_ARGUMENT": "SCHEMA_VIOLATION", "CANCELLED": "UNAVAILABLE"}
    if code.name in preferred:
        return preferred[code.name]
    for kind in CATALOGUE.values():
        if kind.grpc_status == code.name:
            return kind.code
    return "INTERNAL"


def _exception_for(code: str) -> type[AcpError]:
    return EXCEPTIONS[code]


def _packed(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _pack(status: status_pb2.Status, message: Any) -> None:
    status.details.append(_packed(message))
