"""MCP end to end with the official SDK's client: `acpctl mcp` over stdio, and /mcp on `acpctl serve` over
streamable HTTP, each compared with an embedded engine that sees the same messages in the same order."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx2
import pytest
from jsonschema import Draft202012Validator
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from acp import Engine
from acp.commands import COMMANDS
from acp.store import open_store
from acp.transport.tool_catalog import SUPPLIED_FIELDS, agent_commands
from agent_helpers import server_with_token
from test_server_support import ROOT, ServerProcess, acpctl, http_call

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TOKEN = "mcp-test-token-0123456789"
BAD_SERVICE = {"service": "Checkout API", "business_context": {"criticality": "tier_9"}}


def without_id(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "request_id"}


def arguments_of(example: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in example.items() if k not in SUPPLIED_FIELDS}


async def exercise(client: Client) -> list[tuple[dict[str, Any], Any]]:
    """Every example through its tool, then DESCRIBE: (the ACP message the tool sends, the tool's result)."""
    calls = []
    for path in EXAMPLES:
        example = json.loads(path.read_text())
        arguments = arguments_of(example)
        result = await client.call_tool(example["cmd"].lower(), arguments, read_timeout_seconds=120)
        calls.append(({**arguments, "cmd": example["cmd"]}, result))
    calls.append(({"cmd": "DESCRIBE"}, await client.call_tool("describe", {})))
    return calls


def check_tools(listed: Any) -> None:
    tools = {tool.name: tool for tool in listed.tools}
    expected = {c.cmd.lower() for c in COMMANDS.values() if c.implemented}
    assert set(tools) == expected == {c.name for c in agent_commands()}
    for command in agent_commands():
        tool = tools[command.name]
        text = json.dumps(tool.input_schema) + json.dumps(tool.output_schema)
        assert "$ref" not in text, f"{tool.name}: schemas must be self-contained"
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
        assert not set(SUPPLIED_FIELDS) & set(tool.input_schema["properties"])
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.annotations.read_only_hint is (not command.command.records_state)
    assert tools["describe"].annotations.read_only_hint and tools["observability_status"].annotations.read_only_hint
    assert tools["define_slos"].annotations.read_only_hint is False


def check_answers(calls: list[tuple[dict[str, Any], Any]], tools: dict[str, Any]) -> None:
    twin = Engine(validate_responses=True, store=open_store(":memory:"))
    for message, result in calls:
        expected = twin.handle(message)
        assert result.is_error is (expected["status"] == "ERROR"), message["cmd"]
        assert without_id(result.structured_content) == without_id(expected), message["cmd"]
        tool = tools[message["cmd"].lower()]
        if not result.is_error:
            Draft202012Validator(tool.output_schema).validate(result.structured_content)
            links = [c for c in result.content if c.type == "resource_link"]
            assert [link.name for link in links] == [a["path"] for a in expected.get("artifacts", [])]
            assert all(link.uri == f"acp://{expected['system']}/{link.name}" for link in links)
            assert result.content[0].type == "text" and expected["status"] in result.content[0].text


async def check_bad_input(client: Client) -> None:
    result = await client.call_tool("define_slos", BAD_SERVICE)
    assert result.is_error
    error = json.loads(result.content[0].text)
    expected = Engine().handle({**BAD_SERVICE, "cmd": "DEFINE_SLOS"})
    assert without_id(error) == without_id(expected) == without_id(result.structured_content)
    pointers = {v["pointer"] for v in error["error"]["violations"]}
    assert {"/service", "/business_context/criticality"} <= pointers
    # A cmd naming another command is refused, not obeyed.
    crossed = await client.call_tool("define_slos", {"cmd": "DESCRIBE"})
    assert crossed.is_error and crossed.structured_content["error"]["violations"][0]["pointer"] == "/cmd"
    with pytest.raises(MCPError):
        await client.call_tool("no_such_tool", {})


async def check_resources(client: Client, calls: list[tuple[dict[str, Any], Any]]) -> None:
    listed = {r.uri: r for r in (await client.list_resources()).resources}
    slo = next(result for message, result in calls if message["cmd"] == "DEFINE_SLOS")
    for artifact in slo.structured_content["artifacts"]:
        uri = f"acp://{slo.structured_content['system']}/{artifact['path']}"
        assert listed[uri].mime_type == artifact["media_type"]
        read = await client.read_resource(uri)
        assert read.contents[0].text == artifact["content"]
    templates = await client.list_resource_templates()
    assert templates.resource_templates[0].uri_template == "acp://{system}/{+path}"
    with pytest.raises(MCPError):
        await client.read_resource("acp://default/../../etc/passwd")


async def full_session(client: Client) -> None:
    listed = await client.list_tools()
    check_tools(listed)
    calls = await exercise(client)
    check_answers(calls, {tool.name: tool for tool in listed.tools})
    await check_bad_input(client)
    await check_resources(client, calls)


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # protocol 2026-07-28, and the 2025-11-25 handshake
def test_stdio_server_answers_as_the_engine(mode: str) -> None:
    command, *args = acpctl()
    params = StdioServerParameters(command=command, args=[*args, "mcp", "--state", ":memory:",
                                                          "--validate-responses"], cwd=str(ROOT))

    async def main() -> None:
        async with Client(params, mode=mode) as client:
            await full_session(client)

    anyio.run(main)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    yield from server_with_token(tmp_path_factory, TOKEN, "--validate-responses")


def test_streamable_http_with_the_token_answers_as_the_engine(server: ServerProcess) -> None:
    async def main() -> None:
        async with httpx2.AsyncClient(headers={"authorization": f"Bearer {TOKEN}"}, timeout=120) as http:
            async with Client(streamable_http_client(f"http://{server.http}/mcp", http_client=http)) as client:
                await full_session(client)

    anyio.run(main)
    lines = [e for e in server.events("request") if e["transport"] == "mcp"]
    assert {e["cmd"] for e in lines} >= {"DEFINE_SLOS", "DESCRIBE"}


def test_streamable_http_without_the_token_is_refused(server: ServerProcess) -> None:
    seen: list[int] = []

    async def record(response: httpx2.Response) -> None:
        seen.append(response.status_code)

    async def main(headers: dict[str, str]) -> None:
        async with httpx2.AsyncClient(headers=headers, timeout=30, event_hooks={"response": [record]}) as http:
            async with Client(streamable_http_client(f"http://{server.http}/mcp", http_client=http)) as client:
                await client.list_tools()

    for headers in ({}, {"authorization": "Bearer wrong-token"}):
        seen.clear()
        with pytest.raises(Exception):  # the SDK reports the refused connection as an MCPError in a group
            anyio.run(main, headers)
        assert seen and set(seen) == {401}
    status, headers, body = http_call(server.http, "POST", "/mcp", b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert json.loads(body)["error"]["code"] == "UNAUTHENTICATED"


def test_an_unusable_state_store_is_one_line_and_exit_3(tmp_path) -> None:
    import subprocess

    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    done = subprocess.run([*acpctl(), "mcp", "--state", str(blocked / "state.db")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and done.stdout == ""  # acpctl's local-failure code  # stdout is the MCP channel: nothing else may go there
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
