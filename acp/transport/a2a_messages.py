"""What the A2A agent reads from a caller's message, and what its task keeps of it.

The ACP message a data part (or a text part holding JSON) carries goes on to the engine as JSON bytes, the
way a body of POST /v1/messages does, so the engine's limits and errors (MALFORMED_JSON for NaN, a lone
surrogate or broken JSON; PAYLOAD_TOO_LARGE for size and depth) answer it as they answer every transport.

A task is shown to every caller with the server's token (GetTask, ListTasks), so what it keeps of the caller's
message is built, never copied: the message's ids and role, and one part. That part is the ACP request passed
through the store's redaction (`without_secrets`), when the request is a small object that every A2A answer can
carry; otherwise a one-line note. So a task never holds a credential the caller sent, a value JSON cannot carry
(which would break every later ListTasks), a value nested deeper than protobuf can copy, or more than
KEPT_REQUEST_BYTES of the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from a2a.types.a2a_pb2 import Message, Part
from google.protobuf import json_format, struct_pb2

from acp.commands import COMMANDS
from acp.errors import AcpError, SchemaViolation, Violation
from acp.limits import Limits, check_depth, decode, unrepresentable
from acp.store.redaction import without_secrets

# A legitimate ACP request is a few KiB (examples/large_system.json is 9 KiB); a bigger one is not kept in the
# task's history (its answer is in the artifacts, and the store's message log has it).
KEPT_REQUEST_BYTES = 64 * 1024
# protobuf decodes at most 100 nested messages, and each JSON level inside a Value costs three (Value, Struct,
# map entry): a data part inside a Task survives a copy up to 33 levels deep. One level of margin.
DATA_PART_DEPTH = 32
NO_REQUEST = SchemaViolation(
    "the message carries no ACP request: send it as a data part (a JSON object with cmd)",
    [Violation("/parts", "contains", "must hold a data part that is an ACP request object")],
)


@dataclass(frozen=True)
class Incoming:
    """One caller's message, read: what the engine gets, what the status text names, what the task keeps."""

    message: bytes | AcpError  # the ACP message as JSON bytes, or the refusal when there is none
    cmd: str | None  # the command, when the request names one this server knows (never caller text otherwise)
    kept: Message  # the caller's message as the task's history holds it


def read_message(message: Message | None, limits: Limits) -> Incoming:
    """The ACP message a caller's A2A message carries: its first data part holding an object, else its first text
    part that is JSON (starts with `{` or `[`). Data parts travel as protobuf Values, where every number is a double;
    whole numbers go to the engine as integers, as the JSON they were written in had them."""
    carried = _carried(message)
    if carried is None:
        return Incoming(NO_REQUEST, None, _kept(message, _note("the message held no ACP request")))
    raw, value = carried
    if value is None and len(raw) <= KEPT_REQUEST_BYTES:
        try:
            value = decode(raw, limits)
        except AcpError:
            value = None
    cmd = value.get("cmd") if isinstance(value, dict) else None
    known = cmd if isinstance(cmd, str) and cmd in COMMANDS else None
    return Incoming(raw, known, _kept(message, _request_part(raw, value)))


def data_part(value: Any) -> Part:
    """A data part for a value that JSON can carry (an engine response, a redacted request)."""
    return Part(data=json_format.ParseDict(value, struct_pb2.Value()), media_type="application/json")


def plain(value: struct_pb2.Value) -> Any:
    """A protobuf Value as a JSON value; a whole double is an int. NaN and infinity stay floats, for the engine to
    refuse with a pointer (json_format.MessageToDict would raise instead). Recursion is bounded: a Value nests no
    deeper than the message it arrived in could be parsed."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return {key: plain(child) for key, child in value.struct_value.fields.items()}
    if kind == "list_value":
        return [plain(child) for child in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def _carried(message: Message | None) -> tuple[bytes, Any] | None:
    """(the JSON bytes for the engine, the value when already decoded) of the ACP request, or None."""
    parts = list(message.parts) if message is not None else []
    for part in parts:
        if part.HasField("data"):
            value = plain(part.data)
            if isinstance(value, dict):
                # allow_nan: NaN is written as the token the engine parses and then refuses with its pointer.
                text = json.dumps(value, ensure_ascii=False, allow_nan=True, separators=(",", ":"))
                return text.encode("utf-8"), value
    for part in parts:
        if part.HasField("text") and part.text.lstrip()[:1] in ("{", "["):
            return part.text.encode("utf-8"), None
    return None


def _request_part(raw: bytes, value: Any) -> Part:
    if len(raw) > KEPT_REQUEST_BYTES:
        return _note(f"the ACP request ({len(raw)} bytes) is not kept in the task; the artifacts hold its answer")
    if not isinstance(value, dict) or not _carriable(value):
        return _note("the message held no ACP request the server could read; the task's status says why")
    return data_part(without_secrets(value))


def _carriable(value: dict[str, Any]) -> bool:
    try:
        check_depth(value, Limits(max_nesting_depth=DATA_PART_DEPTH))
    except AcpError:
        return False
    return unrepresentable(value) is None


def _note(text: str) -> Part:
    return Part(text=text, media_type="text/plain")


def _kept(message: Message | None, part: Part) -> Message:
    """The caller's message as its task keeps it: ids, role and the one part given; nothing else the caller sent
    (metadata, extensions, other parts) is kept, since any of it may hold a secret or a value JSON cannot carry."""
    if message is None:
        return Message(parts=[part])
    return Message(message_id=message.message_id, context_id=message.context_id, task_id=message.task_id,
                   role=message.role, parts=[part])
