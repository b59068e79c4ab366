"""A delivered CSV in its contract's encoding (Windows-1252 for most council systems), as UTF-8 for DuckDB.

DuckDB reads UTF-8 itself; other encodings need its `encodings` extension, a 350 MB library that took 1.4 s to
load into every database that read such a file (every night with a delivery from the CRM, benefits, HR or
finance systems). Python's codecs decode them instead, strictly, into a UTF-8 copy that lives only while the
file is read: the same characters, the same lines, so the file's row numbers stay the delivered ones.

Strict both ways: a byte the encoding does not define (0x81 in Windows-1252) refuses the file, naming the byte
and its line; and a file that is valid UTF-8 with characters beyond ASCII is refused as UTF-8, because read as
Windows-1252 its `£` would become `Â£` without any error (a real Windows-1252 export almost never forms valid
UTF-8 sequences: a `£` or an accented letter followed by ordinary text breaks them). The messages name bytes and
line numbers, never the file's text (it may be personal data).
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK_BYTES = 1 << 22
COPY_PREFIX = "utf8-copy-"
BEYOND_ASCII = re.compile(rb"[\x80-\xff]")


class EncodingProblem(ValueError):
    """The file is not text in the expected encoding; the message says which byte and line, or what it is."""


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name == "utf-8"


@contextmanager
def as_utf8(path: Path, encoding: str, folder: Path | None = None) -> Iterator[Path]:
    """`path` itself when its contract says UTF-8; otherwise a UTF-8 copy of it decoded from `encoding`, in a
    temporary folder inside `folder` (default: TMPDIR) removed when the block ends. Raises EncodingProblem."""
    if is_utf8(encoding):
        yield path
        return
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=COPY_PREFIX, dir=folder) as made:
        copy = Path(made) / "utf8.csv"
        transcode_to_utf8(path, copy, encoding)
        yield copy


def remove_stale_copies(folder: Path) -> int:
    """Remove the UTF-8 copies a killed process left in `folder` (they hold a delivery's rows, personal data
    included). Only for a folder no other process is reading from: the warehouse's, under its one writer."""
    stale = list(folder.glob(f"{COPY_PREFIX}*")) if folder.is_dir() else []
    for left in stale:
        shutil.rmtree(left, ignore_errors=True)
    return len(stale)


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Write `source`, decoded strictly from `encoding`, to `target` as UTF-8, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    utf8_check = codecs.getincrementaldecoder("utf-8")("strict")
    still_utf8, first_beyond_ascii = True, None  # (line) of the first byte above 127
    lines_before = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while True:
            chunk = reader.read(CHUNK_BYTES)
            last = not chunk
            try:
                text = decoder.decode(chunk, final=last)
            except UnicodeDecodeError as exc:
                line = lines_before + exc.object.count(b"\n", 0, exc.start) + 1
                raise EncodingProblem(f"byte 0x{exc.object[exc.start]:02X} on line {line} is not a {encoding} "
                                      "character; was the file exported in another encoding?") from exc
            if first_beyond_ascii is None and (found := BEYOND_ASCII.search(chunk)):
                first_beyond_ascii = lines_before + chunk.count(b"\n", 0, found.start()) + 1
            if still_utf8:
                try:
                    utf8_check.decode(chunk, final=last)
                except UnicodeDecodeError:
                    still_utf8 = False
            writer.write(text.encode("utf-8"))
            if last:
                break
            lines_before += chunk.count(b"\n")
    if still_utf8 and first_beyond_ascii is not None:
        raise EncodingProblem(f"is UTF-8 text (its first character beyond ASCII is on line {first_beyond_ascii}), "
                              f"not {encoding} as its contract says: read as {encoding}, a £ would become Â£. Export"
                              f" it as {encoding}, or change the source's contract.")
