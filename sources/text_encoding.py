"""A delivered CSV in its contract's encoding (Windows-1252 for most council systems), as UTF-8 for DuckDB.

DuckDB reads UTF-8 itself; other encodings need its `encodings` extension, a 350 MB library that took 1.4 s to
load into every database that read such a file (every night with a delivery from the CRM, benefits, HR or
finance systems). Python's codecs decode them instead, strictly, into a UTF-8 copy that lives only while the
file is read: the same characters, the same lines, so the file's row numbers stay the delivered ones.

Strict both ways: a byte the encoding does not define (0x81 in Windows-1252) refuses the file, naming the byte
and its line; and a UTF-8 file is refused as UTF-8 (read as Windows-1252, its `£` would become `Â£` without any
error): one that starts with UTF-8's byte-order mark, or is valid UTF-8 beyond ASCII in characters Windows-1252
also has. A real Windows-1252 export rarely forms valid UTF-8 at all (a `£` or an accented letter followed by
ordinary text breaks it), and when it does, the characters it would make are ones Windows-1252 lacks, so it is
read as delivered. The messages name bytes and line numbers, never the file's text (it may be personal data).
"""

from __future__ import annotations

import codecs
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.db import SCRATCH_PREFIX

CHUNK_BYTES = 1 << 22
UTF8_BOM = codecs.BOM_UTF8
BEYOND_ASCII = re.compile(rb"[\x80-\xff]")


class EncodingProblem(ValueError):
    """The file is not text in the expected encoding; the message says which byte and line, or what it is."""


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


@contextmanager
def as_utf8(path: Path, encoding: str, folder: Path | None = None) -> Iterator[Path]:
    """`path` itself when its contract says UTF-8; otherwise a UTF-8 copy of it decoded from `encoding`, in a
    temporary folder inside `folder` (default: TMPDIR) removed when the block ends. Raises EncodingProblem."""
    if is_utf8(encoding):
        yield path
        return
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=folder) as made:
        copy = Path(made) / "utf8.csv"
        transcode_to_utf8(path, copy, encoding)
        yield copy


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Write `source`, decoded strictly from `encoding`, to `target` as UTF-8, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    utf8 = _LooksUtf8(encoding)
    lines = _Lines()
    with source.open("rb") as reader, target.open("wb") as writer:
        while True:
            chunk = reader.read(CHUNK_BYTES)
            last = not chunk
            try:
                text = decoder.decode(chunk, final=last)
            except UnicodeDecodeError as exc:
                raise EncodingProblem(f"byte 0x{exc.object[exc.start]:02X} on line {lines.at(exc.object, exc.start)} "
                                      f"is not a {encoding} character; was the file exported in another encoding?"
                                      ) from None  # the error holds the chunk's rows: not kept with the refusal
            utf8.feed(chunk, last, lines)
            writer.write(text.encode("utf-8"))
            if last:
                break
            lines.advance(chunk)
    if problem := utf8.verdict():
        raise EncodingProblem(problem)


class _Lines:
    """Line numbers in a file read chunk by chunk (line feeds, or carriage returns in a file without any)."""

    def __init__(self) -> None:
        self.feeds = self.returns = 0

    def at(self, chunk: bytes, offset: int) -> int:
        return max(self.feeds + chunk.count(b"\n", 0, offset), self.returns + chunk.count(b"\r", 0, offset)) + 1

    def advance(self, chunk: bytes) -> None:
        self.feeds += chunk.count(b"\n")
        self.returns += chunk.count(b"\r")


class _LooksUtf8:
    """Whether a file delivered as `encoding` is in fact UTF-8: it starts with UTF-8's byte-order mark, or it is
    valid UTF-8 beyond ASCII and every such character is one `encoding` has too (a £, an accented letter, a
    curly quote). A real Windows-1252 export that happens to form valid UTF-8 decodes to characters Windows-1252
    lacks (`CAFÉ”` to `CAFɔ`), so it is read as delivered."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.valid, self.bom, self.first_line = True, None, None

    def feed(self, chunk: bytes, last: bool, lines: _Lines) -> None:
        if self.bom is None:
            self.bom = chunk.startswith(UTF8_BOM)
        if self.first_line is None and (found := BEYOND_ASCII.search(chunk)):
            self.first_line = lines.at(chunk, found.start())
        if not self.valid:
            return
        try:
            self.decoder.decode(chunk, final=last).encode(self.encoding)
        except (UnicodeDecodeError, UnicodeEncodeError):
            self.valid = False

    def verdict(self) -> str | None:
        if self.bom:
            return (f"starts with UTF-8's byte-order mark: it was exported as UTF-8, not {self.encoding} as its "
                    f"contract says. Export it as {self.encoding}, or change the source's contract.")
        if self.valid and self.first_line is not None:
            return (f"is UTF-8 text (its first character beyond ASCII is on line {self.first_line}), not "
                    f"{self.encoding} as its contract says: read as {self.encoding}, a £ would become Â£. Export it "
                    f"as {self.encoding}, or change the source's contract.")
        return None
