"""Writing an output folder so that nobody ever sees half of it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def building(folder: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside `folder`; when the block succeeds, it replaces `folder` (two renames,
    so a web server or a partner sees the old folder or the new one). When it fails, `folder` is untouched."""
    temporary = folder.with_name(f".{folder.name}.building")
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        yield temporary
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    temporary.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
