"""`acpctl mcp` answers every line a client sends over stdio: a line that is not JSON gets -32700 and one that is
not a JSON-RPC message gets -32600 (with its id where it has one), each logged, and the session goes on serving
(issue 22: 5 of 8 bad lines were dropped without a word)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading

from test_server_support import acpctl

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "lines", "version": "1"}}}
BAD_LINES = {  # line -> (code, id) of the answer it must get
    "not json": (-32700, None),
    '{"jsonrpc":"2.0","id":2': (-32700, None),
    "\xff\xfe{": (-32700, None),
    "[1,2]": (-32600, None),
    '"a string"': (-32600, None),
    '{"jsonrpc":"1.0","id":3,"method":"tools/list"}': (-32600, 3),
    '{"id":"four"}': (-32600, "four"),
    '{"jsonrpc":"2.0","id":5,"method":"no/such/method"}': (-32601, 5),
}


def test_every_bad_line_gets_its_json_rpc_error_and_the_session_keeps_serving() -> None:
    lines = [json.dumps(INITIALIZE), '{"jsonrpc":"2.0","method":"notifications/initialized"}', *BAD_LINES,
             '{"jsonrpc":"2.0","id":6,"method":"ping"}']
    # stdin stays open until every answer is in: a client that closes it has gone, and may lose in-flight answers.
    process = subprocess.Popen([*acpctl(), "mcp", "--state", ":memory:"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        process.stdin.write("\n".join(lines) + "\n")
        process.stdin.flush()
        received: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [received.put(line) for line in process.stdout], daemon=True).start()
        answers = [json.loads(received.get(timeout=60)) for _ in range(len(BAD_LINES) + 2)]
        process.stdin.close()
        stderr = process.stderr.read()
        assert process.wait(timeout=60) == 0, stderr
    finally:
        process.kill()
    errors = sorted(((a["error"]["code"], str(a["id"])) for a in answers if "error" in a))
    assert errors == sorted((code, str(request_id)) for code, request_id in BAD_LINES.values())
    assert {a["id"] for a in answers if "result" in a} == {1, 6}
    rejected = [json.loads(line) for line in stderr.splitlines() if "mcp_line_rejected" in line]
    assert len(rejected) == len(BAD_LINES) - 1  # the unknown method is the SDK's own answer, not a rejected line
    assert "Traceback" not in stderr
