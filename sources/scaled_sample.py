"""The bundled sample at any size: `generate-sample --contacts 10_000_000` for the benchmark (bench/).

The bundled sample (about 86 k contacts over 36 months) is written first, by the sources' own generators.
Then every record-level source is scaled by the same factor, contacts wanted / contacts in the bundled
sample, inside DuckDB: each landing file is read as the pipeline reads it, its rows are repeated (a whole
number of copies, plus a deterministic share of the rows for the fraction) with the record's identifier
made unique in each copy, and the file is written back in its own format, encoding and sheet. A scale below
the bundled size keeps that share of the rows. Reference data (gazetteer, geography, Census, deprivation),
aggregate feeds (the ledger, leisure visits) and the Policy Team's files (returns, focus lists, trials)
describe the district and its teams, not the volume of work, and keep their bundled size.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from sources.bundled import generate_sample
from sources.contract import SourceContract
from sources.reader import discover_files, file_relation
from sources.sample import MARKER, write_marker, write_xlsx
from sources.text_encoding import is_utf8
from warehouse.db import load_extension

log = logging.getLogger(__name__)

# source -> the delivered column that identifies a record: a copy's records get "-<copy>" appended to it.
SCALED_SOURCES: dict[str, str] = {
    "crm_contacts": "Contact Ref",
    "police_street": "Crime ID",
    "benefits_claims": "Claim Ref",
    "waste_reports": "Report Ref",
    "hr_absence": "Employee Number",
    "planning_applications": "Application Number",
    "lettings": "Letting Ref",
    "dfg_cases": "Case Ref",
    "housing_options": "Case Ref",
}
SHARE_RESOLUTION = 1_000_000  # the fractional copy keeps rows whose hash falls below share x this


def scale_factor(contacts: int, bundled_contacts: int) -> float:
    """How many times each record-level source is repeated to reach `contacts` contact rows."""
    if contacts <= 0:
        raise ValueError(f"--contacts must be a positive number of contact rows, not {contacts}")
    return contacts / bundled_contacts


def _copies_sql(relation: str, columns: list[str], key: str, factor: float) -> str:
    """SELECT over `relation` giving floor(factor) copies of every row plus the fractional share, in file order;
    the key column of copy j > 0 is suffixed "-j" (a blank key stays blank)."""
    whole, share = int(factor), factor - int(factor)
    copies = whole + (1 if share > 0 else 0)
    threshold = round(share * SHARE_RESOLUTION)
    select = ", ".join(
        f"""CASE WHEN _copy = 0 OR "{c}" IS NULL THEN "{c}" ELSE "{c}" || '-' || _copy END AS "{c}\""""
        if c == key else f'"{c}"' for c in columns)
    return f"""SELECT {select}
        FROM (SELECT row_number() OVER () AS _row, * FROM {relation}) rows, range({copies}) copies(_copy)
        WHERE _copy < {whole} OR hash(_row, _copy) % {SHARE_RESOLUTION} < {threshold}
        ORDER BY _row, _copy"""


class _batches:
    """Rows of a DuckDB cursor in batches, counted as they go (the XLSX writer takes any iterable)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor, self.rows = cursor, 0

    def __iter__(self):
        while batch := self.cursor.fetchmany(10_000):
            self.rows += len(batch)
            yield from batch


def _transcode(source: Path, target: Path, encoding: str, bom: bool) -> None:
    """Re-encode DuckDB's UTF-8 CSV into the file's own encoding (Windows-1252 for most council systems)."""
    with source.open("r", encoding="utf-8", newline="") as reader, \
            target.open("w", encoding="utf-8-sig" if bom else encoding, newline="") as writer:
        while chunk := reader.read(1 << 22):
            writer.write(chunk)


@contextmanager
def scaling_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection for `scale_file`: it reads and writes every source format (the excel
    extension; other encodings than UTF-8 are read through the pipeline's reader) and keeps rows in file order."""
    with duckdb.connect(config={"preserve_insertion_order": True}) as con:
        load_extension(con, "excel")
        yield con


def scale_file(con: duckdb.DuckDBPyConnection, contract: SourceContract, path: Path, factor: float) -> int:
    """Rewrite one landing file at `factor` times its rows, in place. Returns the rows written."""
    key = SCALED_SOURCES[contract.name]
    staging = path.with_name(f".scaling-{path.name}")
    try:
        with file_relation(con, contract, path, []) as (relation, _):
            rows = _write_copies(con, contract, path, staging, relation, key, factor)
        mtime = path.stat().st_mtime
        staging.replace(path)
        os.utime(path, (mtime, mtime))  # keep the delivery's time: the scaled file is the same delivery
    finally:
        for leftover in path.parent.glob(f".scaling-*{path.name}"):
            leftover.unlink()
    return rows


def _write_copies(con: duckdb.DuckDBPyConnection, contract: SourceContract, path: Path, staging: Path,
                  relation: str, key: str, factor: float) -> int:
    """Write `factor` times the rows of `relation` (the file at `path`) to `staging`, in the file's own format
    and encoding. Returns the rows written."""
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    query = _copies_sql(relation, columns, key, factor)
    if contract.format == "xlsx":  # xlsxwriter, as the bundled sample: it records the sheet's used range
        batches = _batches(con.execute(query))
        write_xlsx(staging, f"{contract.title} (scaled sample)", columns, batches, sheet=contract.sheet or "Sheet1")
        rows = batches.rows
    else:
        plain = path.with_name(f".scaling-utf8-{path.name}")
        rows = con.execute(f"COPY ({query}) TO '{plain}' (FORMAT csv, HEADER true, DELIMITER ',', "
                           "QUOTE '\"')").fetchone()[0]
        with path.open("rb") as delivered:
            bom = delivered.read(3) == b"\xef\xbb\xbf"
        if is_utf8(contract.encoding) and not bom:
            plain.replace(staging)
        else:
            _transcode(plain, staging, contract.encoding, bom)
            plain.unlink()
    return rows


def bundled_contacts(landing_dir: Path) -> int:
    from sources import CONTRACTS

    contract = CONTRACTS["crm_contacts"]
    total = 0
    with duckdb.connect() as con:
        for path in discover_files(contract, landing_dir / contract.name):
            with file_relation(con, contract, path, []) as (relation, _):
                total += con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    return total


def generate_scaled_sample(landing_dir: Path, contacts: int, end_month: dt.date | None = None) -> dict:
    """Write the sample into `landing_dir` with about `contacts` contact rows (other record-level sources in
    proportion). Replaces whatever sample was there. Returns what was written, for the caller to report."""
    from sources import CONTRACTS

    started = time.monotonic()
    if landing_dir.exists():
        shutil.rmtree(landing_dir)
    files = generate_sample(landing_dir, end_month, force=True)
    base = bundled_contacts(landing_dir)
    factor = scale_factor(contacts, base)
    rows: dict[str, int] = {}
    with scaling_connection() as con:
        for name in SCALED_SOURCES:
            contract = CONTRACTS[name]
            paths = discover_files(contract, landing_dir / name)
            rows[name] = sum(scale_file(con, contract, p, factor) for p in paths)
            log.info("scaled %s x %.3f: %d rows in %d files", name, factor, rows[name], len(paths))
    summary = {"contacts_requested": contacts, "bundled_contacts": base, "factor": round(factor, 4),
               "rows": rows, "files": len(files), "seconds": round(time.monotonic() - started, 1)}
    write_marker(landing_dir, {**json.loads((landing_dir / MARKER).read_text()), "scaled": summary})
    return summary


def _move(path: Path, source_root: Path, target_root: Path) -> Path:
    target = target_root / path.relative_to(source_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    path.replace(target)
    return target


def hold_back_month(landing: Path, night: Path, month: str) -> list[Path]:
    """Move every landing file delivered for `month` (YYYY-MM in its name) to `night`, keeping its path, unless
    it is its source's only file (a snapshot, such as the gazetteer: the history needs it). Returns where the
    files went: an incremental night's deliveries, for `deliver` to put back (bench/speed.py, the tests)."""
    held = []
    for path in sorted(landing.rglob(f"*{month}*")):
        source = landing / path.relative_to(landing).parts[0]
        if path.is_file() and sum(1 for p in source.rglob("*") if p.is_file()) > 1:
            held.append(_move(path, landing, night))
    return held


def deliver(night: Path, landing: Path) -> list[Path]:
    """Put the held-back files into the landing folders. Returns the delivered paths."""
    return [_move(p, night, landing) for p in sorted(night.rglob("*")) if p.is_file()]
