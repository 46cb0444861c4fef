"""The A2A agent's tasks, for GetTask and ListTasks: in memory, bounded in count and in bytes.

A server runs for months and a task holds a whole response (a large plan's task is about 2 MiB), so the store
forgets the oldest task once it holds more than KEPT_TASKS tasks or KEPT_TASK_BYTES bytes. A forgotten task
answers TaskNotFound; its answer is still in the store's message log.

A running task is the SDK's own live Task (at most --max-concurrent-rpcs of them; saved once per event, so a copy
per save would cost a whole response per generated file). A finished task is kept as its serialized protobuf, which
is what the byte budget counts, with only what GetTask needs: the `acp-response` artifact's copy of each generated
file's content is dropped where the file's own artifact holds the same text, and put back on every read (that
halves a large plan's task). Every read answers a fresh copy. ListTasks filters, orders and pages over a stub per
task (id, context, status) with the SDK's own in-memory store, so only the tasks of the page answered are parsed.
"""

from __future__ import annotations

from collections import OrderedDict

from a2a.server.context import ServerCallContext
from a2a.server.owner_resolver import OwnerResolver, resolve_user_scope
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.types.a2a_pb2 import ListTasksRequest, ListTasksResponse, Task, TaskState, TaskStatus
from google.protobuf import struct_pb2

KEPT_TASKS = 256  # tasks kept per process
# The finished tasks' serialized bytes kept per process: 64 tasks of examples/large_system.json (1.0 MiB each),
# or all 256 of ordinary plans (a few KiB to 100 KiB each).
KEPT_TASK_BYTES = 64 * 1024 * 1024
RESPONSE_ARTIFACT = "acp-response"  # the artifact holding the whole ACP response
_FINISHED = frozenset({TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED,
                       TaskState.TASK_STATE_REJECTED})
_OWNER = "acp_task_owner"  # the index's own key in a context's state: the owner the caller's context resolved to


class BoundedTaskStore(TaskStore):
    def __init__(self, kept: int = KEPT_TASKS, kept_bytes: int = KEPT_TASK_BYTES,
                 owner_resolver: OwnerResolver = resolve_user_scope) -> None:
        self.kept = kept
        self.kept_bytes = kept_bytes
        self.owner_resolver = owner_resolver
        self.bytes = 0
        # (owner, task id) -> the running Task, or the finished one serialized; oldest first
        self._tasks: OrderedDict[tuple[str, str], Task | bytes] = OrderedDict()
        self._index = InMemoryTaskStore(owner_resolver=_index_owner, use_copying=False)

    def __len__(self) -> int:
        return len(self._tasks)

    async def save(self, task: Task, context: ServerCallContext) -> None:
        owner = self.owner_resolver(context)
        self._forget((owner, task.id))
        if task.status.state in _FINISHED:
            serialized = _compact(task).SerializeToString()
            self._tasks[(owner, task.id)] = serialized
            self.bytes += len(serialized)
        else:
            self._tasks[(owner, task.id)] = task
        await self._index.save(_stub(task), _as(owner))
        # The task just saved stays, whatever its size: its caller is about to read it.
        while len(self._tasks) > 1 and (len(self._tasks) > self.kept or self.bytes > self.kept_bytes):
            old_owner, old_id = next(iter(self._tasks))
            self._forget((old_owner, old_id))
            await self._index.delete(old_id, _as(old_owner))

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        kept = self._tasks.get((self.owner_resolver(context), task_id))
        return _copy(kept) if kept is not None else None

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        owner = self.owner_resolver(context)
        page = await self._index.list(params, _as(owner))
        for stub in page.tasks:
            kept = self._tasks.get((owner, stub.id))
            if kept is not None:
                stub.CopyFrom(_copy(kept))
        return page

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        owner = self.owner_resolver(context)
        self._forget((owner, task_id))
        await self._index.delete(task_id, _as(owner))

    def _forget(self, key: tuple[str, str]) -> None:
        kept = self._tasks.pop(key, None)
        if isinstance(kept, bytes):
            self.bytes -= len(kept)


def _copy(kept: Task | bytes) -> Task:
    if isinstance(kept, bytes):
        return _restored(Task.FromString(kept))
    task = Task()
    task.CopyFrom(kept)
    return task


def _compact(task: Task) -> Task:
    """The task without the acp-response's copies of contents its file artifacts hold (a copy: `task` is the SDK's)."""
    files = _file_texts(task)
    if not files or not _response_files(task):
        return task
    compact = Task()
    compact.CopyFrom(task)
    for entry in _response_files(compact):
        fields = entry.struct_value.fields
        path = fields["path"].string_value if "path" in fields else None
        if path in files and "content" in fields and fields["content"].string_value == files[path]:
            del fields["content"]
    return compact


def _restored(task: Task) -> Task:
    """`_compact` undone: every file entry of the acp-response without content gets its file artifact's text."""
    files = _file_texts(task)
    for entry in _response_files(task):
        fields = entry.struct_value.fields
        path = fields["path"].string_value if "path" in fields else None
        if path in files and "content" not in fields:
            fields["content"].string_value = files[path]
    return task


def _file_texts(task: Task) -> dict[str, str]:
    return {artifact.name: artifact.parts[0].text for artifact in task.artifacts
            if artifact.name != RESPONSE_ARTIFACT and len(artifact.parts) == 1 and artifact.parts[0].HasField("text")}


def _response_files(task: Task) -> list[struct_pb2.Value]:
    """The entries of the acp-response's `artifacts` list (each a generated file: path, media_type, content)."""
    for artifact in task.artifacts:
        if artifact.name == RESPONSE_ARTIFACT and artifact.parts and artifact.parts[0].HasField("data"):
            response = artifact.parts[0].data
            if response.HasField("struct_value") and "artifacts" in response.struct_value.fields:
                files = response.struct_value.fields["artifacts"]
                if files.HasField("list_value"):
                    return [entry for entry in files.list_value.values if entry.HasField("struct_value")]
    return []


def _stub(task: Task) -> Task:
    """What ListTasks filters and orders by: the id, the context, the state and its time."""
    status = TaskStatus(state=task.status.state)
    if task.status.HasField("timestamp"):
        status.timestamp.CopyFrom(task.status.timestamp)
    return Task(id=task.id, context_id=task.context_id, status=status)


def _as(owner: str) -> ServerCallContext:
    return ServerCallContext(state={_OWNER: owner})


def _index_owner(context: ServerCallContext) -> str:
    return str(context.state[_OWNER])
