"""Writing an output folder so that nobody ever sees half of it."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def building(folder: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside `folder`; when the block succeeds, it takes `folder`'s place in one
    atomic exchange, so a web server or a partner sees the old folder or the new one, never neither (a process
    killed at any point leaves one of the two in place). When the block fails, `folder` is untouched."""
    temporary = folder.with_name(f".{folder.name}.building")
    old = folder.with_name(f".{folder.name}.old")
    if old.exists() and not folder.exists():  # killed between two renames: the last whole folder comes back
        old.rename(folder)
    for leftover in (temporary, old):  # a killed run's half-built or exchanged-out folder
        shutil.rmtree(leftover, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        yield temporary
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    if folder.exists() and _exchange(temporary, folder):
        shutil.rmtree(temporary, ignore_errors=True)  # now the old folder
        return
    if folder.exists():  # no atomic exchange here: two renames, a moment apart
        folder.rename(old)
    temporary.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 with RENAME_EXCHANGE); False where the system or the file
    system cannot, so the caller falls back to two renames."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), RENAME_EXCHANGE)
    if done == 0:
        return True
    if ctypes.get_errno() in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):  # EPERM: a sandbox
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(second))
