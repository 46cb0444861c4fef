"""The baseline: a bare grpc.aio server with ACP's service and options that answers every Send with fixed bytes.

It does what `acpctl serve` does on the wire (same proto, same server options, same concurrency limit,
a reply of the same size) and nothing else: no JSON parsing, no validation, no planning, no metrics,
no log line. The transport bench runs it beside the real server so their ratio is the cost of ACP.

    python -m bench.echo_server --listen 127.0.0.1:0 --reply-file reply.json
    # prints {"event": "listening", "grpc": "127.0.0.1:PORT"} on stdout, then serves until SIGTERM
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

import grpc

from acp.transport.grpc_server import server_options
from acp.v1 import acp_pb2, acp_pb2_grpc

MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # `acpctl serve`'s default, so both refuse and accept the same frames
MAX_CONCURRENT_RPCS = 64  # `acpctl serve`'s default


class Echo(acp_pb2_grpc.AgentCoordinationServicer):
    def __init__(self, reply: str) -> None:
        self.reply = acp_pb2.AcpMessage(json=reply)  # built once: the baseline should cost as little as possible

    async def Send(self, request: acp_pb2.AcpMessage, context: grpc.aio.ServicerContext) -> acp_pb2.AcpMessage:
        return self.reply

    async def SendStream(self, request_iterator, context):
        async for _ in request_iterator:
            yield self.reply

    async def Describe(self, request, context):
        return self.reply


async def serve(listen: str, reply: str) -> None:
    server = grpc.aio.server(options=server_options(MAX_MESSAGE_BYTES, reuse_port=False),
                             maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS)
    acp_pb2_grpc.add_AgentCoordinationServicer_to_server(Echo(reply), server)
    port = server.add_insecure_port(listen)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    host = listen.rpartition(":")[0]
    print(json.dumps({"event": "listening", "grpc": f"{host}:{port}"}), flush=True)
    await stop.wait()
    await server.stop(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--reply-file", required=True, help="the bytes every call is answered with")
    args = parser.parse_args(argv)
    if not args.listen.startswith(("127.", "[::1]", "localhost")):
        parser.error("the baseline listens on loopback only")
    with open(args.reply_file, encoding="utf-8") as handle:
        reply = handle.read()
    asyncio.run(serve(args.listen, reply))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
