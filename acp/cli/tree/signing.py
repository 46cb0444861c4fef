"""The key that signs a render's manifest, so that `render --force` trusts only manifests acpctl wrote itself.

A manifest in the tree says which files an earlier render wrote, with their hashes; `--force` removes those the
new answer no longer has. A hash proves nothing about who wrote the file (anyone can hash a committed
`.git/HEAD`), so the manifest carries an HMAC-SHA256 over its content and the folder it was written in, made with
a key only this user on this machine can read: $XDG_STATE_HOME/acp-observability/render.key (0600, created on
first use, next to the default state.db whatever --state says: the key belongs to the user, not to one history).
A manifest planted by someone else, copied from another folder or written on another machine does not verify,
and the files it names are left alone.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from acp.cli.exits import LocalFailure

KEY_FILE = "render.key"
KEY_BYTES = 32
SCHEME = "hmac-sha256"
_CONTEXT = b"acpctl render manifest\n"  # a key used for anything else one day can never sign a manifest by accident


def key_path() -> Path:
    from acp.store import default_state_path

    return default_state_path().parent / KEY_FILE


def render_key(*, create: bool) -> bytes | None:
    """This user's render key; None when there is none yet and create is False (a dry run writes nothing)."""
    path = key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            return None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _create_key(path)
        return _read_key(path)
    except OSError as exc:
        raise LocalFailure(f"cannot keep the render key {path}: {exc.strerror or exc}; set XDG_STATE_HOME to a "
                           "folder of yours that is writable") from None


def signature(key: bytes, folder: str, signed: bytes) -> str:
    """The signature of a manifest's canonical content, bound to the (resolved) folder it describes."""
    mac = hmac.new(key, _CONTEXT + os.fsencode(folder) + b"\0" + signed, hashlib.sha256)
    return f"{SCHEME}:{mac.hexdigest()}"


def verifies(key: bytes | None, folder: str, signed: bytes, claimed: object) -> bool:
    if key is None or not isinstance(claimed, str):
        return False
    return hmac.compare_digest(signature(key, folder, signed), claimed)


def _create_key(path: Path) -> None:
    # Written whole under a private name, then linked into place: a render racing this one either links first or
    # finds the finished key, never a half-written one, and both end up signing with the same key.
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        try:
            os.write(handle, secrets.token_bytes(KEY_BYTES))
        finally:
            os.close(handle)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def _read_key(path: Path) -> bytes:
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LocalFailure(f"the render key {path} is a symlink; remove it (a new key is made)") from None
        raise
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise LocalFailure(f"the render key {path} must be a file of yours that only you can read "
                               f"(chmod 600 {path}, or remove it and a new key is made)")
        key = stream.read()
    if len(key) != KEY_BYTES:
        raise LocalFailure(f"the render key {path} is not {KEY_BYTES} bytes; remove it (a new key is made)")
    return key
