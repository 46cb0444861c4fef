"""The engine's commands as agents see them: one entry per command, derived from the command table.

MCP tools, A2A skills and `/.well-known/acp.json` are all built from `agent_commands()`, which reads
`acp.commands.COMMANDS` as it is, so a command added to the table (with its schemas and its planner) shows up
on every agent surface without anything here changing. A command is a query, and says so with `readOnlyHint`,
exactly when the table does not record its answers in the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from acp import schemas
from acp.commands import COMMANDS, Command
from acp.errors import SchemaViolation, Violation
from acp.transport.schema_bundle import one_of_responses, request_arguments

# The answer a validate_only request gets instead of the command's own respond format.
VALIDATION_RESULT = "validation_result"
# The fields a tool call or an A2A skill supplies itself.
SUPPLIED_FIELDS = ("cmd", "respond_format")


@dataclass(frozen=True)
class AgentCommand:
    command: Command

    @property
    def cmd(self) -> str:
        return self.command.cmd

    @property
    def name(self) -> str:
        """The MCP tool name and A2A skill id: `DEFINE_SLOS` -> `define_slos`."""
        return self.command.cmd.lower()

    @property
    def title(self) -> str:
        return self.command.cmd.replace("_", " ").title().replace("Slos", "SLOs")

    @property
    def description(self) -> str:
        return f"{self.command.description} Answers {self.command.respond_format}."

    @property
    def read_only(self) -> bool:
        """Queries change nothing; every command that records its answer changes the system's state."""
        return not self.command.records_state

    @property
    def tags(self) -> list[str]:
        return ["observability", "acp", self.name, "query" if self.read_only else "plan"]

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        return request_arguments(self.command.request_schema, SUPPLIED_FIELDS)

    @cached_property
    def output_schema(self) -> dict[str, Any]:
        return one_of_responses([self.command.response_schema, VALIDATION_RESULT],
                                f"{self.command.respond_format} response (or VALID for validate_only)")

    @cached_property
    def example(self) -> dict[str, Any]:
        """The first example of the request schema: a whole ACP message, cmd included."""
        found = schemas.load_schema(self.command.request_schema).get("examples") or [{"cmd": self.cmd}]
        return dict(found[0])

    @property
    def example_arguments(self) -> dict[str, Any]:
        return {k: v for k, v in self.example.items() if k not in SUPPLIED_FIELDS}

    def example_text(self) -> str:
        return json.dumps(self.example, separators=(",", ":"), ensure_ascii=False)

    def message(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The ACP request for a call with these arguments. A `cmd` naming another command is refused rather
        than obeyed or silently replaced: the caller meant something this tool does not do."""
        if "cmd" in arguments and arguments["cmd"] != self.cmd:
            raise SchemaViolation(
                f"this tool sends {self.cmd}; leave cmd out of its arguments",
                [Violation("/cmd", "const", f"must be \"{self.cmd}\" or absent")],
            )
        return {**arguments, "cmd": self.cmd}


def agent_commands() -> list[AgentCommand]:
    """Every command an agent can usefully call: built (a planner, or DESCRIBE) and with its schemas written."""
    names = set(schemas.schema_names())
    return [
        AgentCommand(command) for command in COMMANDS.values()
        if command.implemented and command.request_schema in names and command.response_schema in names
    ]


def by_name(name: str) -> AgentCommand | None:
    return next((c for c in agent_commands() if c.name == name), None)
