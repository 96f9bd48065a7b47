"""Atomic file replacement, shared by every writer in ember (``ember.save``, Keras saving,
dataset downloads, plots).

A file is written under a temporary name in the destination's folder and then renamed over
the destination, so a reader sees either the old file or the complete new one, never a half
written one, and a failed write leaves the old file as it was. A destination that is a symbolic
link is written through (its target is replaced, the link stays), and the new file gets the
old file's permission bits, or those a plain ``open(path, "wb")`` would give (0o666 less the
umask) when there was no file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["atomic_open", "atomic_write"]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write; on a clean exit it replaces ``path``, on an exception it is removed.

    Raises:
        PermissionError: ``path`` exists and is read-only (it is left as it is).
        OSError: the folder cannot be written, or the rename fails (``path`` is unchanged).
    """
    target = os.path.realpath(os.fspath(path))  # through symbolic links
    folder, name = os.path.split(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    if mode is not None and not os.access(target, os.W_OK):
        # Replacing it would succeed (the folder is writable) but defeat its protection.
        raise PermissionError(errno.EACCES, "the file is read-only; nothing was written", target)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            # O_EXCL: never reuse another writer's file. 0o666 lets the umask apply, as open() does.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # before any byte is written: a private file never shows its data
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None and not hasattr(os, "fchmod"):
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Replaces ``path`` with ``data`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path) as fh:
        fh.write(data)
