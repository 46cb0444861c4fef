"""One serving process: gRPC and HTTP side by side, signals, graceful shutdown; or N of them on shared ports.

Shutdown order on SIGTERM/SIGINT: readiness and gRPC health turn NOT_SERVING, both listeners stop
accepting, requests already accepted finish within the grace period, then the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterator

import uvicorn

from acp.engine import Engine
from acp.errors import CATALOGUE, EXIT_LOCAL_FAILURE, AcpError
from acp.limits import Limits
from acp.sources import live_source
from acp.store import DEFAULT_RETENTION, describe_location, open_store
from acp.transport.agent_endpoints import AgentEndpoints
from acp.transport.auth import BearerAuth, load_token
from acp.transport.dispatch import Dispatcher
from acp.transport.endpoints import Endpoints
from acp.transport.grpc_server import GrpcServer
from acp.transport.http_app import build_app
from acp.transport.readiness import IDLE_TIMEOUT_SECONDS
from acp.transport.telemetry import Metrics, configure_logging, log_event
from acp.transport.tls import TlsFiles, uvicorn_ssl_options

log = logging.getLogger("acp.server")

DEFAULT_GRPC_LISTEN = "127.0.0.1:50051"
DEFAULT_HTTP_LISTEN = "127.0.0.1:8080"
# After the grace period, how long the transports stay up to deliver the answers decided at its end (UNAVAILABLE
# for abandoned requests, the committed answer for those whose commit had begun).
ANSWER_MARGIN_SECONDS = 2.0


@dataclass(frozen=True)
class ServeConfig:
    grpc_listen: str = DEFAULT_GRPC_LISTEN
    http_listen: str = DEFAULT_HTTP_LISTEN
    workers: int = 1
    auth_token_file: str | None = None
    tls: TlsFiles = TlsFiles()
    max_message_bytes: int = 4 * 1024 * 1024
    max_concurrent_rpcs: int = 64
    grace_period: float = 10.0
    idle_timeout: float = IDLE_TIMEOUT_SECONDS  # a body must arrive, a stream must send, within this (readiness.py)
    log_level: str = "info"
    validate_responses: bool = False
    state: str | None = None  # None: the XDG default SQLite file; each worker opens its own connection
    state_retention: str = DEFAULT_RETENTION  # how long the message log keeps a row (acp.store.retention)
    prometheus_url: str | None = None
    alertmanager_url: str | None = None


def split_address(address: str) -> tuple[str, int]:
    """'HOST:PORT' or '[v6]:PORT' -> (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{address!r}: expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def join_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for sockets that say they are
    # TCP, and without it Nagle holds uvicorn's body segment behind the head's delayed ACK (~40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handlers: this module decides when and in what order to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_async(config: ServeConfig, grpc_port: int | None = None, http_port: int | None = None,
                      reuse_port: bool = False, on_ready: Callable[[], None] | None = None,
                      leave_abandoned_plans: bool = False) -> int:
    grpc_host, configured_grpc_port = split_address(config.grpc_listen)
    http_host, configured_http_port = split_address(config.http_listen)
    token = load_token(config.auth_token_file) if config.auth_token_file else None
    auth = BearerAuth(token)
    live = live_source(config.prometheus_url, config.alertmanager_url)
    engine = Engine(validate_responses=config.validate_responses,
                    limits=Limits(max_message_bytes=config.max_message_bytes),
                    store=open_store(config.state, retention=config.state_retention), live_source=live)
    dispatcher = Dispatcher(engine, Metrics(), config.max_message_bytes)

    grpc_server = GrpcServer(dispatcher, auth, config.tls, max_message_bytes=config.max_message_bytes,
                             max_concurrent_rpcs=config.max_concurrent_rpcs, reuse_port=reuse_port,
                             idle_timeout=config.idle_timeout)
    bound_grpc = grpc_server.bind(join_address(grpc_host, grpc_port if grpc_port is not None else configured_grpc_port))
    http_socket = _socket(http_host, http_port if http_port is not None else configured_http_port, reuse_port)
    http_socket.listen(1024)
    http_socket.setblocking(False)
    bound_http = http_socket.getsockname()[1]

    endpoints = Endpoints(http_host, bound_http, grpc_host, bound_grpc, tls=config.tls.enabled,
                          mutual_tls=bool(config.tls.client_ca), auth=auth.enabled,
                          max_concurrent_rpcs=config.max_concurrent_rpcs)
    http_server = _Uvicorn(uvicorn.Config(
        build_app(dispatcher, auth, config.max_concurrent_rpcs, AgentEndpoints(dispatcher, endpoints),
                  body_timeout=config.idle_timeout),
        log_config=None, access_log=False,
        # The lifespan starts and stops the MCP session manager and the A2A task handler with the listener.
        lifespan="on", http="h11", timeout_graceful_shutdown=config.grace_period + ANSWER_MARGIN_SECONDS,
        server_header=False,
        **uvicorn_ssl_options(config.tls),
    ))
    await grpc_server.start()
    http_task = asyncio.create_task(http_server.serve(sockets=[http_socket]))
    while not http_server.started:
        if http_task.done():
            await http_task
            raise RuntimeError("the HTTP server stopped during startup")
        await asyncio.sleep(0.01)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if on_ready is None:
        _announce(config, join_address(grpc_host, bound_grpc), join_address(http_host, bound_http))
    else:
        on_ready()
    signalled = asyncio.create_task(stop.wait())
    await asyncio.wait({signalled, http_task}, return_when=asyncio.FIRST_COMPLETED)
    # Only a signal is a clean stop; the HTTP server ending by itself is a fault worth a non-zero exit.
    clean = stop.is_set()

    log_event(log, {"event": "draining", "grace_period_s": config.grace_period})
    dispatcher.draining = True
    await grpc_server.drain()
    http_server.should_exit = True
    # At the end of the grace period every request not yet committing is answered UNAVAILABLE (and commits
    # nothing); the transports keep their connections a margin longer so that those answers, and the answers
    # being committed, reach their callers instead of a cut connection or uvicorn's plain-text 500.
    abandon = loop.call_later(config.grace_period, _abandon_the_rest, dispatcher)
    await asyncio.gather(grpc_server.stop(config.grace_period + ANSWER_MARGIN_SECONDS), http_task,
                         return_exceptions=True)
    abandon.cancel()
    # A plan cannot be interrupted, and its thread would hold the exit until it ends (a 20,000-service setup kept
    # a server 142 s past a 1 s grace period). Every answer has gone out and those plans commit nothing, so a
    # process of our own exits without them; a caller's process (the library) waits for its threads as usual.
    still_planning = dispatcher.shutdown(wait=not leave_abandoned_plans)
    signalled.cancel()
    code = 0 if clean else CATALOGUE["INTERNAL"].exit_code
    log_event(log, {"event": "stopped", "clean": clean, "abandoned_plans_running": still_planning})
    if leave_abandoned_plans and still_planning:
        logging.shutdown()
        os._exit(code)
    return code


def _abandon_the_rest(dispatcher: Dispatcher) -> None:
    abandoned = dispatcher.abandon_all()
    log_event(log, {"event": "grace_period_over", "abandoned": abandoned})


def _announce(config: ServeConfig, grpc_address: str, http_address: str) -> None:
    """The one start-up line tools and tests parse to learn the chosen ports."""
    log_event(log, {
        "event": "listening", "grpc": grpc_address, "http": http_address, "workers": config.workers,
        "tls": config.tls.enabled, "mutual_tls": bool(config.tls.client_ca), "auth": bool(config.auth_token_file),
        "max_message_bytes": config.max_message_bytes, "max_concurrent_rpcs": config.max_concurrent_rpcs,
        "idle_timeout_s": config.idle_timeout, "state": describe_location(config.state),
    })


def _worker(config: ServeConfig, grpc_port: int, http_port: int, ready: "multiprocessing.Queue[int]") -> None:
    configure_logging(config.log_level)
    code = asyncio.run(serve_async(config, grpc_port, http_port, reuse_port=True,
                                   on_ready=lambda: ready.put(os.getpid()), leave_abandoned_plans=True))
    raise SystemExit(code)


def serve_workers(config: ServeConfig) -> int:
    """N worker processes share both ports through SO_REUSEPORT; the kernel spreads connections.

    Port 0 is resolved here first: a bound but never listening socket holds the port for the workers
    (it takes no connections itself), so all of them bind the same free port.
    """
    grpc_host, grpc_port = split_address(config.grpc_listen)
    http_host, http_port = split_address(config.http_listen)
    holders = [_socket(grpc_host, grpc_port, True), _socket(http_host, http_port, True)]
    grpc_port, http_port = (sock.getsockname()[1] for sock in holders)

    # Each worker keeps its own samples in files here; a scrape of any worker reports the sum.
    metrics_dir = tempfile.mkdtemp(prefix="acp-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # spawn, not fork: a forked copy of a process that has touched gRPC is not safe.
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    workers = [context.Process(target=_worker, args=(config, grpc_port, http_port, ready), daemon=False)
               for _ in range(config.workers)]
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGTERM, signal.SIGINT)}
    for worker in workers:
        worker.start()

    def forward(signum: int, _frame: object) -> None:
        for worker in workers:
            if worker.pid is not None and worker.is_alive():
                os.kill(worker.pid, signal.SIGTERM)

    for signum in previous:
        signal.signal(signum, forward)
    started = 0
    while started < len(workers):
        try:
            ready.get(timeout=0.2)
            started += 1
        except queue.Empty:
            if any(not worker.is_alive() for worker in workers):
                forward(signal.SIGTERM, None)
                break
    if started == len(workers):
        _announce(config, join_address(grpc_host, grpc_port), join_address(http_host, http_port))
    for worker in workers:
        worker.join()
    for sock in holders:
        sock.close()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    codes = [worker.exitcode for worker in workers]
    log_event(log, {"event": "stopped", "worker_exit_codes": codes})
    return 0 if all(code == 0 for code in codes) else 1


def serve(config: ServeConfig) -> int:
    configure_logging(config.log_level)
    try:
        if config.workers > 1:
            return serve_workers(config)
        return asyncio.run(serve_async(config, leave_abandoned_plans=True))
    except (OSError, RuntimeError, ValueError, AcpError) as exc:
        # A busy port, an unreadable certificate, a bad token file, a state store out of reach: failures on this
        # machine, not ACP errors. One clear line, not a traceback.
        log_event(log, {"event": "failed", "error": f"{type(exc).__name__}: {exc}"}, logging.ERROR)
        return EXIT_LOCAL_FAILURE
