"""One render at a time per output folder: a render holds fcntl.flock on the folder while it reads the manifest,
decides and writes, so two renders into one folder run one after the other and the tree is always one answer's.

The lock is taken on the folder's own descriptor, the one every write goes through, so it adds no file to the
tree and cannot be dodged with a planted symlink. Where a filesystem cannot flock a folder (NFS emulates flock
with byte-range locks, which need a file open for writing) it is taken on `.acpctl-render.lock` in the folder,
opened without following a symlink. A second render waits for the first (it says so on stderr once): the lock
goes with the process that holds it, so a render that dies never leaves the folder locked. A dry run takes a
shared lock, so it never reports a tree half-written.
"""

from __future__ import annotations

import errno
import fcntl
import os
from contextlib import contextmanager
from typing import Callable, Iterator

from acp.cli.tree.writer import TreeWriter

LOCK_FILE = ".acpctl-render.lock"
# what flock says on a filesystem that cannot lock a folder's descriptor
_CANNOT_LOCK_A_FOLDER = {errno.EBADF, errno.ENOLCK, errno.EINVAL, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", -1)}


@contextmanager
def folder_lock(tree: TreeWriter, *, shared: bool, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the folder's lock for the block; on_wait is called once if another render holds it first."""
    descriptor = tree.folder_descriptor()
    if descriptor is None:  # a dry run into a folder that does not exist yet: nothing to read, nothing to lock
        yield
        return
    kind = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        try:
            _acquire(descriptor, kind, on_wait)
        except OSError as exc:
            if exc.errno not in _CANNOT_LOCK_A_FOLDER:
                raise
            os.close(descriptor)
            descriptor = None
            descriptor = tree.open_lock_file(LOCK_FILE, create=not shared)
            if descriptor is not None:  # a dry run does not create the lock file; none there, no render to wait for
                _acquire(descriptor, kind, on_wait)
        yield
    finally:
        if descriptor is not None:
            os.close(descriptor)  # its own open file: closing it releases the lock


def _acquire(descriptor: int, kind: int, on_wait: Callable[[], None]) -> None:
    try:
        fcntl.flock(descriptor, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        on_wait()
        fcntl.flock(descriptor, kind)
