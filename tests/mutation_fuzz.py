"""A seeded mutation fuzzer over every example in examples/: each message is an example with a few things changed
the way careless and hostile callers change them, sent to Engine.handle, and a sample of them over HTTP and gRPC.

    .venv/bin/python tests/mutation_fuzz.py --messages 100000 --seed 12     # what `make fuzz` runs
    .venv/bin/python tests/mutation_fuzz.py --messages 2000 --transport-every 25

Every answer must be an ACP message: a response, or an error from the catalogue that is not INTERNAL, whose error
object keeps the error schema, that JSON and UTF-8 can carry, and that echoes the caller's request_id when it was
readable. Over HTTP and gRPC the same bytes must get the same answer as the engine (the HTTP status and the gRPC
code from the catalogue). Findings are printed as they happen, shrunk to a small message that still fails, and
written to --findings DIR. Progress and counts are printed every few seconds; the exit status is 1 if anything
failed. tests/test_mutation_fuzz.py runs a slice of this in `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import random
import re
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from acp import Engine, schemas  # noqa: E402
from acp.commands import COMMANDS  # noqa: E402
from acp.errors import CATALOGUE  # noqa: E402
from acp.store import open_store  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}\Z")  # defs.json#/$defs/request_id
STORE_ROTATION = 500  # a fresh in-memory store every so many messages, so state stays small but is exercised
GENTLE_SHARE = 0.4  # messages with only a number moved: mostly valid, so the planners run on odd values
SHRUNK_PER_KIND = 3  # findings of one kind (example and problems) shrunk and printed in full; the rest counted

# -- what callers put where a value goes ------------------------------------------------------------------------

NUMBERS = [0, -1, 1, 2, 7, 59, 60, 61, 99, 100, 101, 1000, 10**6, 10**9, 2**31, 2**53 + 1, 10**30, -10**30,
           0.5, 0.1, 1e-7, 5e-324, 2.2250738585072014e-308, 1e308, -1e308, 1.7976931348623157e308,
           90.01, 49.95, 99.9, 99.99, 99.999, 99.9999, 99.99999, 80.01, 95.55, 50, 50.0, 0.01, 0.001, 1e-3,
           99.0000001, 33.333333333333336, -0.0, 3.14]
STRINGS = ["", " ", "a", "x" * 63, "x" * 64, "x" * 5000, "checkout-api", "checkout-api\n", "api\r", "api\x00",
           "api\u2028", "\ufeffapi", "CheckOut", "api gateway", "../../etc/passwd", "a/b", "a.b", "{{ .x }}",
           "${HOME}", "'; DROP TABLE x; --", "\"quoted\"", "<script>", "yes", "null", "1e400", "NaN", "30d", "0s",
           "9999999999d", "1ms", "100 req/s", "0 req/s", "1e9 rps", "#alerts", "#", "https://example.com/x",
           "http://[::1]:0/", "ümlaut", "日本語", "😀", "\u0301", "tier_1", "postgresql", "kafka", "redis",
           "availability", "latency", "quality", "critical", "warning", "pagerduty", "slack", "15min", "0min"]
EDGE_SUFFIXES = ["\n", "\r\n", "\x00", "\u2028", "\u2029", "\u0085", " ", "\t", "-", "_", "."]


def interesting_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(NUMBERS)
    if roll < 0.7:
        return rng.choice(STRINGS)
    if roll < 0.78:
        return rng.choice([True, False, None])
    if roll < 0.89 or depth > 2:
        return [interesting_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["name", "kind", "target", "window", "x", "service", "slo"]): interesting_value(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


# -- mutations of the parsed message ----------------------------------------------------------------------------

Path_ = tuple[Any, ...]


def paths(node: Any, here: Path_ = ()) -> Iterator[Path_]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*here, index))


def get(node: Any, path: Path_) -> Any:
    for step in path:
        node = node[step]
    return node


def put(node: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    get(node, path[:-1])[path[-1]] = value
    return node


def perturb_number(rng: random.Random, value: float) -> Any:
    choice = rng.randrange(8)
    if choice == 0:
        return round(rng.uniform(80, 99.99), 2)  # the probe's two-decimal targets
    if choice == 1:
        return round(value + rng.choice([-1, 1]) * 10 ** -rng.randint(1, 9), 10)
    if choice == 2:
        return value * rng.choice([10, 100, 0.1, 0.01, -1])
    if choice == 3:
        return rng.choice([int(value), float(value)]) if abs(value) < 1e15 else value
    if choice == 4:
        return round(rng.uniform(0, 100), rng.randint(0, 6))
    if choice == 5:
        return rng.randint(0, 10**rng.randint(1, 7))
    if choice == 6:
        return value + rng.randint(-3, 3)
    return rng.choice(NUMBERS)


def mutate_string(rng: random.Random, value: str) -> str:
    choice = rng.randrange(7)
    if choice == 0:
        return value + rng.choice(EDGE_SUFFIXES)
    if choice == 1:
        return value.upper()
    if choice == 2:
        return value[: rng.randint(0, len(value))]
    if choice == 3:
        return value * rng.randint(2, 20)
    if choice == 4:
        at = rng.randint(0, len(value))
        return value[:at] + rng.choice(["-", "_", " ", "/", ".", "~", "\"", "'", "{", "\\", "é"]) + value[at:]
    if choice == 5:
        return rng.choice(STRINGS)
    return value.replace("-", "_") if "-" in value else value + "-2"


def mutate_once(rng: random.Random, message: Any, donors: list[Any]) -> Any:
    """One change somewhere in the message (the message itself may be replaced)."""
    where = rng.choice(list(paths(message)))
    target = get(message, where)
    roll = rng.random()
    if isinstance(target, bool):
        return put(message, where, rng.choice([not target, None, 0, "true"]))
    if isinstance(target, (int, float)) and roll < 0.8:
        return put(message, where, perturb_number(rng, target))
    if isinstance(target, str) and roll < 0.7:
        return put(message, where, mutate_string(rng, target))
    if isinstance(target, dict) and target and roll < 0.5:
        key = rng.choice(list(target))
        action = rng.randrange(4)
        if action == 0:
            del target[key]
        elif action == 1:
            target[rng.choice(["unexpected", key + "_x", "request_id", "system", "validate_only", "respond_format",
                               "acp_version", "sender"])] = interesting_value(rng)
        elif action == 2:
            target[key] = copy.deepcopy(rng.choice([v for v in target.values()]))
        else:
            donor = rng.choice(donors)
            if isinstance(donor, dict) and donor:
                donor_key = rng.choice(list(donor))
                target[donor_key] = copy.deepcopy(donor[donor_key])
        return message
    if isinstance(target, list) and roll < 0.6:
        action = rng.randrange(5)
        if action == 0 and target:
            target.append(copy.deepcopy(rng.choice(target)))  # a repeat
        elif action == 1 and target:
            del target[rng.randrange(len(target))]
        elif action == 2:
            target.clear()
        elif action == 3 and target:
            rng.shuffle(target)
        else:
            target.extend(copy.deepcopy(target[: rng.randint(0, 3)]) * rng.randint(1, 50))
        return message
    if where == () and roll < 0.2:
        return rng.choice([[], "text", 3, None, [message]])
    return put(message, where, interesting_value(rng))


def numbers_in(message: Any) -> list[Path_]:
    return [where for where in paths(message)
            if isinstance(get(message, where), (int, float)) and not isinstance(get(message, where), bool)]


def mutated(rng: random.Random, example: dict[str, Any], donors: list[Any], request_id: str | None) -> Any:
    """Half the messages get one gentle change (a number moved, which usually keeps them valid, so the planners
    run), the rest one to five changes of any kind (which usually makes them errors, so validation runs)."""
    message = copy.deepcopy(example)
    if request_id is not None:
        message["request_id"] = request_id
    if rng.random() < 0.05:
        message["cmd"] = rng.choice(sorted(COMMANDS) + ["NOPE", "describe", ""])
    numbers = numbers_in(message)
    if numbers and rng.random() < GENTLE_SHARE:
        for where in rng.sample(numbers, min(len(numbers), rng.choice([1, 1, 2]))):
            put(message, where, perturb_number(rng, get(message, where)))
        return message
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 5])):
        message = mutate_once(rng, message, donors)
    return message


# -- mutations of the bytes -----------------------------------------------------------------------------------------

def serialise(rng: random.Random, message: Any) -> bytes | str | Any:
    """Usually JSON text; sometimes the dict itself (the library path), sometimes damaged bytes."""
    text = json.dumps(message, ensure_ascii=rng.random() < 0.5)
    roll = rng.random()
    if roll < 0.1:
        return message  # a library caller's dict
    if roll > 0.93:
        raw = bytearray(text.encode("utf-8"))
        action = rng.randrange(7)
        if action == 0 and raw:
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        elif action == 1:
            raw = raw[: rng.randint(0, len(raw))]
        elif action == 2:
            at = rng.randint(0, len(raw))
            raw[at:at] = rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x00", b"1e400", b"NaN", b"-Infinity",
                                     b'"\\ud800"', b",", b"}", b"[", b'"a":1,'])
        elif action == 3:
            raw = raw.replace(b'"', b"'", 1)
        elif action == 4:
            raw = bytearray(text.replace('{"cmd"', '{"cmd": "DESCRIBE", "cmd"', 1).encode())  # a duplicate key
        elif action == 5:
            raw = bytearray(b"[" * 100 + raw + b"]" * 100)
        else:
            raw = bytearray(text.replace(": ", ": 1e400, \"x\": ", 1).encode())
        return bytes(raw)
    return text


# -- what every answer must be ------------------------------------------------------------------------------------

STATUSES = {command.respond_format for command in COMMANDS.values()} | {"VALID", "ERROR"}


def readable_request_id(wire: Any) -> str | None:
    """The request_id the engine can read from what was sent (None when it cannot read one)."""
    if isinstance(wire, (bytes, str)):
        try:
            wire = json.loads(wire.decode("utf-8") if isinstance(wire, bytes) else wire)
        except (ValueError, RecursionError):
            return None
    candidate = wire.get("request_id") if isinstance(wire, dict) else None
    return candidate if isinstance(candidate, str) and _REQUEST_ID.match(candidate) else None


def problems_with(answer: Any, wire: Any) -> list[str]:
    if not isinstance(answer, dict):
        return [f"the answer is a {type(answer).__name__}, not an ACP message"]
    found = []
    status = answer.get("status")
    if status not in STATUSES:
        found.append(f"status {status!r} is not a respond format")
    if status == "ERROR":
        error = answer.get("error") or {}
        if error.get("code") not in CATALOGUE:
            found.append(f"error code {error.get('code')!r} is not in the catalogue")
        if error.get("code") == "INTERNAL":
            found.append("INTERNAL")
        broken = schemas.violations("error", answer)
        if broken:
            found.append(f"the error breaks the error schema: {[v.to_dict() for v in broken[:3]]}")
    try:
        json.dumps(answer, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        found.append(f"the answer cannot be sent as JSON: {exc}")
    caller_id = readable_request_id(wire)
    if caller_id is not None and answer.get("request_id") != caller_id:
        found.append(f"the caller's request_id was not echoed (got {answer.get('request_id')!r})")
    return found


# -- HTTP and gRPC, in process ------------------------------------------------------------------------------------

class Transports:
    """The HTTP app and a gRPC server around a stateless engine, on an event loop in a thread of its own."""

    def __init__(self, max_message_bytes: int = 4 * 1024 * 1024) -> None:
        import grpc
        import httpx

        from acp.transport.auth import BearerAuth
        from acp.transport.dispatch import Dispatcher
        from acp.transport.grpc_server import GrpcServer
        from acp.transport.http_app import build_app
        from acp.transport.telemetry import Metrics
        from acp.transport.tls import TlsFiles

        self._grpc, self._httpx = grpc, httpx
        self.dispatcher = Dispatcher(Engine(validate_responses=True), Metrics(), max_message_bytes)
        self.app = build_app(self.dispatcher, BearerAuth(None), 64)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def start() -> Any:  # a grpc.aio server belongs to the loop it is made on
            server = GrpcServer(self.dispatcher, BearerAuth(None), TlsFiles(), max_message_bytes=max_message_bytes,
                                max_concurrent_rpcs=64, reuse_port=False)
            port = server.bind("127.0.0.1:0")
            await server.start()
            return server, port

        self.server, self.port = self._run(start())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self._send = self.channel.unary_unary("/acp.v1.AgentCoordination/Send", request_serializer=None,
                                              response_deserializer=None)

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(120)

    def http(self, body: bytes) -> tuple[int, dict[str, Any]]:
        async def post() -> Any:
            transport = self._httpx.ASGITransport(app=self.app)
            async with self._httpx.AsyncClient(transport=transport, base_url="http://fuzz") as client:
                return await client.post("/v1/messages", content=body, headers={"content-type": "application/json"})

        reply = self._run(post())
        return reply.status_code, reply.json()

    def grpc(self, body: bytes) -> tuple[str, dict[str, Any] | None]:
        from acp.transport.wire_errors import from_grpc_error

        try:
            reply = self._send(_framed(body), timeout=120)
        except self._grpc.RpcError as error:
            return error.code().name, from_grpc_error(error)
        from acp.v1 import acp_pb2

        return "OK", json.loads(acp_pb2.AcpMessage.FromString(reply).json)

    def close(self) -> None:
        self.channel.close()
        self._run(self.server.stop(0))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.dispatcher.shutdown()


def _framed(payload: bytes) -> bytes:
    length, size = bytearray(), len(payload)
    while True:
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            return b"\x0a" + bytes(length) + payload


def transport_problems(transports: Transports, reference: Engine, wire: bytes) -> list[str]:
    expected = reference.handle(wire)
    kind = CATALOGUE.get((expected.get("error") or {}).get("code", "")) if expected["status"] == "ERROR" else None
    found = []
    status, answer = transports.http(wire)
    if status != (kind.http_status if kind else 200) or answer != expected:
        found.append(f"HTTP answered {status} {_short(answer)}, the engine {_short(expected)}")
    code, answer = transports.grpc(wire)
    if code != (kind.grpc_status if kind else "OK"):
        found.append(f"gRPC answered {code}, the engine {_short(expected)}")
    elif answer is not None and (answer.get("error") or {}).get("code") != (expected.get("error") or {}).get("code"):
        found.append(f"gRPC's ACP error {_short(answer)} is not the engine's {_short(expected)}")
    elif kind is None and answer != expected:
        found.append("gRPC's answer differs from the engine's")
    return found


def _short(answer: Any) -> str:
    if isinstance(answer, dict) and answer.get("status") == "ERROR":
        return f"{answer['error'].get('code')}: {str(answer['error'].get('message'))[:80]}"
    return str(answer.get("status") if isinstance(answer, dict) else answer)[:80]


# -- shrinking what failed ----------------------------------------------------------------------------------------

def shrink(message: Any, still_fails: Callable[[Any], bool], budget: int = 300) -> Any:
    """Greedily drop keys and list items (and shorten lists) while the message still fails."""
    current = copy.deepcopy(message)
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for where in sorted(paths(current), key=len):
            if not where or tries >= budget:
                continue
            candidate = copy.deepcopy(current)
            try:
                parent = get(candidate, where[:-1])
                del parent[where[-1]]
            except (KeyError, IndexError, TypeError):
                continue
            tries += 1
            if still_fails(candidate):
                current, changed = candidate, True
                break
    return current


# -- the run ------------------------------------------------------------------------------------------------------

@dataclass
class Finding:
    example: str
    problems: list[str]
    message: Any


@dataclass
class Tally:
    messages: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_example: Counter = field(default_factory=Counter)
    transport_samples: int = 0
    findings: list[Finding] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)

    @property
    def internal(self) -> int:
        return sum(1 for f in self.findings if any(p.startswith("INTERNAL") for p in f.problems))

    def line(self, started: float, total: int) -> str:
        rate = self.messages / max(time.monotonic() - started, 1e-9)
        answered = sum(n for code, n in self.outcomes.items() if not code.startswith("ERROR:"))
        errors = self.messages - answered
        return (f"mutation fuzz: {self.messages:,}/{total:,} messages, {answered:,} answered, {errors:,} refused, "
                f"{self.internal} INTERNAL, {len(self.findings)} findings, {self.transport_samples:,} also over "
                f"HTTP and gRPC, {rate:,.0f} msg/s")


class InternalOrigins(logging.Handler):
    """Where each INTERNAL came from: the engine logs the exception; this keeps its type and deepest frame in the
    repository (for example `ValueError at planners/slo/burn_rate.py:_safe_minute`), so findings group by cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            frames = [f for f in traceback.extract_tb(record.exc_info[2]) if f.filename.startswith(str(ROOT))]
            where = f"{Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].name}" if frames else "?"
            self.last = f"{type(record.exc_info[1]).__name__} at {where}"

    def take(self) -> str | None:
        last, self.last = self.last, None
        return last


def run(messages: int, seed: int, transport_every: int = 50, progress_seconds: float = 5.0,
        findings_dir: Path | None = None, out: Any = sys.stdout) -> Tally:
    rng = random.Random(seed)
    examples = [(path.stem, json.loads(path.read_text(encoding="utf-8"))) for path in EXAMPLES]
    donors = [example for _, example in examples]
    reference = Engine(validate_responses=True)
    transports = Transports() if transport_every else None
    tally = Tally()
    started = last = time.monotonic()
    engine = Engine(validate_responses=True, store=open_store(":memory:"))
    origins = InternalOrigins()
    engine_log = logging.getLogger("acp.engine")
    engine_log.addHandler(origins)
    try:
        for n in range(messages):
            if n % STORE_ROTATION == 0:
                engine.store.close()
                engine = Engine(validate_responses=True, store=open_store(":memory:"))
            name, example = examples[n % len(examples)]
            # Most messages carry an id of their own; some reuse the one before (a retry, or a CONFLICT).
            roll = rng.random()
            request_id = None if roll < 0.3 else f"fuzz-{n - 1 if roll > 0.95 else n}"
            message = mutated(rng, example, donors, request_id)
            wire = serialise(rng, message)
            origins.take()
            answer = engine.handle(wire)
            origin = origins.take()
            tally.messages += 1
            code = answer.get("status") if isinstance(answer, dict) else "?"
            if code == "ERROR":
                code = "ERROR:" + str(answer["error"].get("code"))
            tally.outcomes[code] += 1
            tally.by_example[(name, code)] += 1
            problems = [f"INTERNAL ({origin})" if p == "INTERNAL" and origin else p for p in problems_with(answer, wire)]
            if transports is not None and n % transport_every == 0:
                as_bytes = wire if isinstance(wire, bytes) else (
                    json.dumps(wire) if not isinstance(wire, str) else wire).encode("utf-8", "surrogatepass")
                problems += transport_problems(transports, reference, as_bytes)
                tally.transport_samples += 1
            if problems:
                kind = (name, tuple(problems))
                tally.kinds[kind] += 1
                if tally.kinds[kind] <= SHRUNK_PER_KIND:
                    tally.findings.append(_record(name, problems, wire, findings_dir, out))
                else:
                    tally.findings.append(Finding(name, problems, None))
            if time.monotonic() - last >= progress_seconds:
                print(tally.line(started, messages), file=out, flush=True)
                last = time.monotonic()
    finally:
        engine_log.removeHandler(origins)
        engine.store.close()
        if transports is not None:
            transports.close()
    print(tally.line(started, messages), file=out, flush=True)
    print("outcomes: " + ", ".join(f"{code} {count:,}" for code, count in tally.outcomes.most_common()), file=out)
    for (name, problems), count in tally.kinds.most_common():
        print(f"  {count:,} x {name}: {'; '.join(problems)}", file=out)
    for name in sorted({name for name, _ in tally.by_example}):
        counts = {code: count for (example, code), count in tally.by_example.items() if example == name}
        answered = sum(c for code, c in counts.items() if not code.startswith("ERROR:"))
        print(f"  {name}: {sum(counts.values()):,} messages, {answered:,} answered", file=out)
    return tally


def _record(name: str, problems: list[str], wire: Any, findings_dir: Path | None, out: Any) -> Finding:
    """Shrink a finding to a small message that fails the same way (only messages that parse can be shrunk;
    a stateless engine decides, so a finding that needed the fuzz run's stored state is kept whole)."""
    parsed = wire if isinstance(wire, (dict, list)) else None
    if parsed is None:
        try:
            parsed = json.loads(wire.decode("utf-8") if isinstance(wire, bytes) else wire)
        except (ValueError, RecursionError):
            parsed = None

    wanted = {p.split(" (", 1)[0] for p in problems}  # an INTERNAL's origin is not part of what must recur

    def still_fails(candidate: Any) -> bool:
        text = json.dumps(candidate, ensure_ascii=False)
        return bool(wanted & set(problems_with(Engine(validate_responses=True).handle(text), text)))

    if isinstance(parsed, (dict, list)) and still_fails(parsed):
        shown: Any = shrink(parsed, still_fails)
    else:
        shown = parsed if parsed is not None else (wire.decode("utf-8", "backslashreplace")
                                                   if isinstance(wire, bytes) else wire)
    finding = Finding(name, problems, shown)
    print(f"FINDING in {name}: {'; '.join(problems)}\n  {json.dumps(shown, ensure_ascii=True)[:2000]}", file=out,
          flush=True)
    if findings_dir is not None:
        findings_dir.mkdir(parents=True, exist_ok=True)
        index = len(list(findings_dir.glob("*.json")))
        (findings_dir / f"{index:04d}-{name}.json").write_text(
            json.dumps({"example": name, "problems": problems, "message": shown}, ensure_ascii=True, indent=1))
    return finding


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--transport-every", type=int, default=50,
                        help="send every Nth message over HTTP and gRPC too (0: engine only)")
    parser.add_argument("--findings", type=Path, default=None, help="write each finding here as JSON")
    parser.add_argument("--progress-seconds", type=float, default=5.0)
    parser.add_argument("--verbose", action="store_true", help="show the engine's log (tracebacks of INTERNAL)")
    args = parser.parse_args(argv)
    if not args.verbose:
        logging.getLogger("acp").propagate = False  # each finding is printed here, shrunk, instead
    tally = run(args.messages, args.seed, args.transport_every, args.progress_seconds, args.findings)
    return 1 if tally.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
