"""Building an output only when what it shows could have changed.

An output folder (a report period's folder, the public site) keeps, in `.inputs-sha256`, a digest of everything
it was built from: the rows of the published tables it reads (`outputs.READS`), cut at the periods it
covers, and the code and templates that draw it (the warehouse's Python code too: the charts' limits and the
trial verdicts are computed there). When the digest is the same, building it again would give the
same pages (but for the "generated" stamp), so the build is skipped and the folder kept as it is. The published
copy's own bookkeeping (when it was published, every night's check results) is left out, and so is the wording
of a data-quality reason: a report is redrawn when a status changes, not when a failing check's count does.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from pathlib import Path

import duckdb

from outputs import READS
from warehouse.catalogue import catalogue_text

DIGEST_FILE = ".inputs-sha256"
OUTPUTS_DIR = Path(__file__).resolve().parent
WAREHOUSE_DIR = OUTPUTS_DIR.parent / "warehouse"
# How each table is read for the digest: the part an output draws, not the bookkeeping that grows every night.
DRAWN = {
    "marts.measure_values": "SELECT * FROM marts.measure_values WHERE period_end <= ?",
    # Each criterion's current status. A failing check whose wording changes (a new count) while its status
    # stays does not redraw a report: it keeps the words it was built with, under its "generated" date.
    "marts.quality_scorecard": "SELECT measure_id, criterion, status FROM marts.quality_scorecard WHERE is_latest",
    "marts.publish_info": None,  # when the copy was published: not what it says
}


def digested_files() -> list[Path]:
    """The files whose bytes decide what an output shows: the outputs' code, templates and static files, and the
    warehouse's Python code, which draws the charts (SPC limits, trial verdicts, reporting periods) the outputs
    print. A change to any of them rebuilds every output once."""
    def files(folder: Path, pattern: str) -> list[Path]:
        return [p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts]

    return sorted([*files(OUTPUTS_DIR, "*"), *files(WAREHOUSE_DIR, "*.py")])


@functools.cache
def code_digest() -> str:
    """A digest of `digested_files()`."""
    digest = hashlib.sha256()
    for path in digested_files():
        digest.update(path.relative_to(OUTPUTS_DIR.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def inputs_digest(con: duckdb.DuckDBPyConnection, output: str, until: dt.date, *extra: object) -> str:
    """A digest of what `output` (a key of READS) draws from the published warehouse up to `until`, with the
    outputs' code and anything else that decides its content (`extra`: a period, the day)."""
    # `until` itself is left out: the site's moves every day, its rows only when a period ends.
    digest = hashlib.sha256(f"{output}|{extra}|{code_digest()}|{catalogue_text()}".encode())
    for table in READS[output]:
        query = DRAWN.get(table, f"SELECT * FROM {table}")
        if query is None:
            continue
        params = [until] if "?" in query else []
        row = con.execute(f"SELECT count(*), sum(hash(t)) FROM ({query}) t", params).fetchone()
        digest.update(f"{table}:{row}".encode())
    return digest.hexdigest()


def unchanged(folder: Path, digest: str) -> bool:
    """The folder was built from exactly these inputs (and is still there)."""
    marker = folder / DIGEST_FILE
    return marker.exists() and marker.read_text().strip() == digest


def remember(folder: Path, digest: str) -> None:
    (folder / DIGEST_FILE).write_text(digest + "\n")
