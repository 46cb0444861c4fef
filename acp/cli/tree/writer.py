"""Writing files under one folder without ever following a symlink below it.

The output folder itself is the user's choice and is resolved once. Every path component under it is opened
relative to its parent's file descriptor with O_NOFOLLOW (os.open with dir_fd), so a symlink planted anywhere in
the tree, at a folder or at a file, is refused instead of followed, and nothing can swap a component between a
check and the write. A file is written to a new temporary file in its folder (O_EXCL, its final mode from the
start) and renamed over the old entry: a planted symlink or hard link at the target is replaced, never written
through, and a secret is never readable by others, not even for a moment.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import stat
from dataclasses import dataclass

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_temporary_names = itertools.count()


class UnsafePath(Exception):
    """A path that would leave the folder or pass through a symlink; the message names it and the fix."""


@dataclass(frozen=True)
class Entry:
    kind: str  # "missing", "file", "symlink", "folder", "other"
    where: str  # the relative path that has that kind (a parent, when a parent is what is in the way)


def check_relative(path: str) -> tuple[str, ...]:
    """The components of a relative path inside the folder; UnsafePath for anything else."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise UnsafePath(f"refusing to write outside the output folder: {path!r}")
    parts = tuple(path.split("/"))
    if any(part in ("", ".", "..") for part in parts):  # raw components: "./x" and "a//b" are refused, not tidied
        raise UnsafePath(f"refusing to write outside the output folder: {path!r}")
    return parts


def sha256(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


class TreeWriter:
    """Reads and writes files under `root`; never follows a symlink below it."""

    def __init__(self, root: str, *, create: bool) -> None:
        self.root = os.path.realpath(root)
        if create:
            os.makedirs(self.root, exist_ok=True)
        self._root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)) \
            if os.path.isdir(self.root) else None

    def close(self) -> None:
        if self._root_fd is not None:
            os.close(self._root_fd)
            self._root_fd = None

    def __enter__(self) -> "TreeWriter":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- looking -------------------------------------------------------------------------------------------

    def entry(self, path: str) -> Entry:
        """What is at path now, found without following any symlink."""
        parts = check_relative(path)
        if self._root_fd is None:
            return Entry("missing", path)
        fd = os.dup(self._root_fd)
        try:
            for depth, part in enumerate(parts):
                where = "/".join(parts[: depth + 1])
                try:
                    info = os.stat(part, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    return Entry("missing", path)
                last = depth == len(parts) - 1
                if stat.S_ISLNK(info.st_mode):
                    return Entry("symlink", where)
                if last:
                    return Entry("file" if stat.S_ISREG(info.st_mode) else
                                 "folder" if stat.S_ISDIR(info.st_mode) else "other", where)
                if not stat.S_ISDIR(info.st_mode):
                    return Entry("other", where)
                child = os.open(part, _DIRECTORY_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
            return Entry("folder", path)
        finally:
            os.close(fd)

    def read(self, path: str) -> bytes | None:
        """The file's bytes; None when it is missing, not a regular file, or reached through a symlink."""
        try:
            fd = self._parent(check_relative(path), create=False)
        except (UnsafePath, FileNotFoundError):
            return None
        try:
            handle = os.open(check_relative(path)[-1], _READ_FLAGS, dir_fd=fd)
        except OSError:
            return None
        finally:
            os.close(fd)
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None
            return stream.read()

    def folder_descriptor(self) -> int | None:
        """A new open file of the folder itself (to lock it; the caller closes it), or None if it does not exist."""
        if self._root_fd is None:
            return None
        return os.open(".", _DIRECTORY_FLAGS, dir_fd=self._root_fd)

    def open_lock_file(self, name: str, *, create: bool) -> int | None:
        """A descriptor of the regular file name directly in the folder, never through a symlink (nor blocking on
        a planted FIFO); None when it is missing and create is False."""
        (name,) = check_relative(name)
        if self._root_fd is None:
            return None
        flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (os.O_CREAT if create else 0)
        try:
            fd = os.open(name, flags, 0o644, dir_fd=self._root_fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePath(f"refusing to lock {name}: it is a symlink; remove it") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UnsafePath(f"refusing to lock {name}: it is not a regular file; remove it")
        return fd

    # -- changing ------------------------------------------------------------------------------------------

    def write(self, path: str, content: bytes, mode: int, *, folder_mode: int = 0o755) -> None:
        """Create or replace path with content and mode, atomically, through no symlink."""
        parts = check_relative(path)
        fd = self._parent(parts, create=True, folder_mode=folder_mode)
        name = parts[-1]
        temporary = f".{name}.acpctl-{os.getpid()}-{next(_temporary_names)}.tmp"
        try:
            handle = os.open(temporary, _NEW_FILE_FLAGS, mode, dir_fd=fd)
            try:
                os.fchmod(handle, mode)  # the umask may have taken bits away; a secret must be exactly 0600
                view = memoryview(content)
                while view:
                    view = view[os.write(handle, view):]
            finally:
                os.close(handle)
            try:
                os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
            except OSError as exc:
                os.unlink(temporary, dir_fd=fd)
                if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
                    raise UnsafePath(f"{path} is a folder; move it away or choose another --out") from None
                raise
        finally:
            os.close(fd)

    def remove(self, path: str) -> bool:
        """Unlink path (a symlink itself, never its target) and any folders left empty; False if it was absent."""
        parts = check_relative(path)
        try:
            fd = self._parent(parts, create=False)
        except (UnsafePath, FileNotFoundError):
            return False
        try:
            os.unlink(parts[-1], dir_fd=fd)
        except FileNotFoundError:
            return False
        finally:
            os.close(fd)
        for depth in range(len(parts) - 1, 0, -1):  # tidy folders the removal emptied, deepest first
            try:
                parent = self._parent(parts[:depth], create=False)
            except (UnsafePath, FileNotFoundError):
                break
            try:
                os.rmdir(parts[depth - 1], dir_fd=parent)
            except OSError:
                break  # not empty (or not ours to remove): stop tidying
            finally:
                os.close(parent)
        return True

    def _parent(self, parts: tuple[str, ...], *, create: bool, folder_mode: int = 0o755) -> int:
        """A descriptor of the folder holding parts[-1], each component opened with O_NOFOLLOW."""
        if self._root_fd is None:
            if not create:
                raise FileNotFoundError(self.root)
            os.makedirs(self.root, exist_ok=True)
            self._root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        fd = os.dup(self._root_fd)
        for depth, part in enumerate(parts[:-1]):
            if create:
                try:
                    os.mkdir(part, folder_mode, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(part, _DIRECTORY_FLAGS, dir_fd=fd)
            except OSError as exc:
                os.close(fd)
                where = "/".join(parts[: depth + 1])
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafePath(f"refusing to write through {where}: it is a symlink or a file, not a folder; "
                                     "remove it or choose another --out") from None
                raise
            os.close(fd)
            fd = child
        return fd

    def tighten(self, folder: str, mode: int) -> None:
        """chmod a folder below root through its descriptor (never through a symlink)."""
        fd = self._parent((*check_relative(folder), "_"), create=True, folder_mode=mode)
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
