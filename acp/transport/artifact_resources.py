"""The files of our answers, addressable one at a time as `acp://<system>/<path>`.

An answer's artifacts are the system's tree of files (setup, SLO specifications and alerting configurations
own disjoint paths), so a URI names one file of one system and the newest answer that carried it wins. Two
sources, newest first: the answers this process gave (which covers an engine without a store and queries
such as EXPORT_SYSTEM that are not logged), then the store's message log, which every worker and every
restart shares, so a link handed out by one worker can be read from another.

Reads of the store block; callers run them on the planning pool. Listing reads each logged answer once: what
files it carries (not their content) is kept by response hash, so a second `resources/list` parses nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

SCHEME = "acp"
URI_TEMPLATE = "acp://{system}/{+path}"
REMEMBERED_ANSWERS = 64  # answers kept in memory per process; the store keeps the rest
SCANNED_LOG_ENTRIES = 500  # newest entries of the message log searched for files
INDEXED_ANSWERS = 2 * SCANNED_LOG_ENTRIES  # logged answers whose file lists are kept (paths and sizes, no content)
_URI = re.compile(r"^acp://(?P<system>[a-z][a-z0-9_-]{0,62})/(?P<path>[A-Za-z0-9_][A-Za-z0-9._/-]{0,254})\Z")


@dataclass(frozen=True)
class ArtifactFile:
    system: str
    path: str
    media_type: str
    content: str
    status: str  # the respond format of the answer that carried it
    request_id: str

    @property
    def uri(self) -> str:
        return uri_of(self.system, self.path)

    @property
    def size(self) -> int:
        return len(self.content.encode("utf-8"))


@dataclass(frozen=True)
class ListedFile:
    """A file as resources/list shows it: everything but its content."""

    system: str
    path: str
    media_type: str
    size: int
    status: str
    request_id: str

    @property
    def uri(self) -> str:
        return uri_of(self.system, self.path)


def listed(file: ArtifactFile) -> ListedFile:
    return ListedFile(file.system, file.path, file.media_type, file.size, file.status, file.request_id)


def uri_of(system: str, path: str) -> str:
    return f"{SCHEME}://{system}/{path}"


def parse_uri(uri: str) -> tuple[str, str] | None:
    """(system, path) of an acp:// URI this server could have made, else None (no '..', no odd names)."""
    match = _URI.match(uri)
    if match is None or any(part in ("", ".", "..") for part in match.group("path").split("/")):
        return None
    return match.group("system"), match.group("path")


def files_of(response: Mapping[str, Any]) -> list[ArtifactFile]:
    if response.get("status") in (None, "ERROR"):
        return []
    system = str(response.get("system") or "default")
    return [
        ArtifactFile(system, str(a["path"]), str(a.get("media_type") or "text/plain"), str(a["content"]),
                     str(response["status"]), str(response.get("request_id", "")))
        for a in response.get("artifacts") or () if isinstance(a, Mapping) and "path" in a and "content" in a
    ]


class ArtifactResources:
    def __init__(self, store: Any = None, remembered: int = REMEMBERED_ANSWERS) -> None:
        self.store = store
        self.limit = remembered
        self._recent: OrderedDict[str, list[ArtifactFile]] = OrderedDict()  # request_id -> files, oldest first
        self._index: OrderedDict[str, tuple[ListedFile, ...]] = OrderedDict()  # response hash/request_id -> files
        self._lock = threading.Lock()

    def remember(self, response: Mapping[str, Any]) -> list[ArtifactFile]:
        files = files_of(response)
        if files:
            with self._lock:
                key = f"{files[0].system}/{files[0].request_id}/{response.get('hash')}"
                self._recent.pop(key, None)
                self._recent[key] = files
                while len(self._recent) > self.limit:
                    self._recent.popitem(last=False)
        return files

    def list(self) -> list[ListedFile]:
        """Every file addressable now, one per URI (the newest), ordered by system and path."""
        newest: dict[str, ListedFile] = {}
        for files in self._remembered(None):
            for file in files:
                newest.setdefault(file.uri, listed(file))
        for _, files in self._logged(None):
            for file in files:
                newest.setdefault(file.uri, file)
        return sorted(newest.values(), key=lambda f: (f.system, f.path))

    def read(self, uri: str) -> ArtifactFile | None:
        target = parse_uri(uri)
        if target is None:
            return None
        system, path = target
        for files in self._remembered(system):
            found = next((f for f in files if f.path == path), None)
            if found is not None:
                return found
        for request_id, files in self._logged(system):
            if any(f.path == path for f in files):
                answer = self.store.lookup(request_id)
                return next((f for f in files_of(answer.response) if f.path == path), None) if answer else None
        return None

    def _remembered(self, system: str | None) -> list[list[ArtifactFile]]:
        with self._lock:
            return [files for files in reversed(self._recent.values()) if system is None or files[0].system == system]

    def _logged(self, system: str | None) -> Iterator[tuple[str, tuple[ListedFile, ...]]]:
        """(request_id, its files) for the newest logged answers, newest first; each answer parsed once."""
        log = getattr(self.store, "log", None)
        if log is None:
            return
        for entry in reversed(log(system)[-SCANNED_LOG_ENTRIES:]):
            request_id = entry["request_id"]
            key = f"{entry.get('response_hash')}/{request_id}"
            with self._lock:
                files = self._index.get(key)
            if files is None:
                answer = self.store.lookup(request_id)
                files = tuple(listed(f) for f in files_of(answer.response)) if answer is not None else ()
                with self._lock:
                    self._index[key] = files
                    while len(self._index) > INDEXED_ANSWERS:
                        self._index.popitem(last=False)
            yield request_id, files
