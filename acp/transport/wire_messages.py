"""What the gRPC server reads off the wire: AcpMessage with its `json` field as bytes.

AcpMessage.json is a proto3 `string`, and protobuf refuses to parse a message whose string field is not UTF-8.
A string and a bytes field are the same on the wire (field 1, length-delimited), so the server parses requests
with this twin whose field is `bytes`: a client sending the real AcpMessage is read unchanged, and bytes that
are not UTF-8 reach the engine, which answers them as it answers them over HTTP (MALFORMED_JSON). The twin lives
in a descriptor pool of its own, so reflection still shows only the real contract.
"""

from __future__ import annotations

from typing import Any, Callable

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError


def _raw_message_class() -> Any:
    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="acp/v1/acp_wire.proto", package="acp.v1.wire", syntax="proto3")
    message = file.message_type.add(name="AcpMessage")
    message.field.add(name="json", number=1, type=field.TYPE_BYTES, label=field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acp.v1.wire.AcpMessage"))


RawAcpMessage = _raw_message_class()


class Undecodable:
    """A request whose bytes are not a protobuf message at all; the handler answers it as MALFORMED_JSON."""

    json = b""


def raw_deserializer(message_class: Any) -> Callable[[bytes], Any]:
    """A request deserializer that never raises: gRPC would otherwise end the call (and a stream) on its own."""

    def deserialize(data: bytes) -> Any:
        try:
            return message_class.FromString(data)
        except DecodeError:
            return Undecodable()

    return deserialize
