"""Landing file -> raw.<source>: every delivered row as text, plus lineage columns. One file, one transaction."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import logging
import os
import re
import string
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contract import SourceContract, snake
from sources.refusals import record_refusals
from sources.text_encoding import EncodingProblem, as_utf8, is_utf8
from warehouse import clock
from warehouse.db import load_extension, remove_stale_scratch, scratch_folder, transaction

log = logging.getLogger(__name__)
XLSX_HEADER_SEARCH_ROWS = 30
XLSX_LAST_COLUMN = "AZ"
XLSX_MAX_ROWS = 1048576


class SourceFileError(Exception):
    """A landing file that cannot be loaded. The message names the file and the problem. A `transient` problem
    (the file is still being copied, or locked) is tried again on the next run; any other refuses the file."""

    def __init__(self, path: Path, problem: str, transient: bool = False) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.transient = transient


@dataclass
class LoadReport:
    """What one raw load did, for the asset's metadata and the run summary."""

    source: str
    files_found: int = 0
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)  # same bytes already loaded
    rows_loaded: int = 0
    deferred: list[str] = field(default_factory=list)  # files still being copied or locked: tried next run
    notes: list[str] = field(default_factory=list)
    refused: list[SourceFileError] = field(default_factory=list)  # the source is held back until replaced

    @property
    def errors(self) -> list[str]:
        """The refusals, as messages naming the file and the problem."""
        return [str(e) for e in self.refused]


def discover_files(contract: SourceContract, folder: Path) -> list[Path]:
    """Files in the drop folder matching the contract's pattern, in the order they were delivered (modification
    time, then name), so that a corrected file (`..._2026-11-corrected.csv`) is loaded after the one it replaces
    even when both arrive before a first load. Ignores hidden files, Office lock files (~$...) and partial
    downloads."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(contract.file_glob):
        if path.name.startswith((".", "~$")) or path.name.endswith((".part", ".tmp", ".crdownload")):
            continue
        try:
            if path.is_file():
                found.append((path.stat().st_mtime_ns, path.name, path))
        except FileNotFoundError:  # moved away while the folder was read
            continue
    return [path for _, _, path in sorted(found)]


PERIOD_IN_NAME = re.compile(r"(\d{4}-\d{2})")


def delivery_key(file_name: str) -> str:
    """What a file is a delivery of: its name up to the YYYY-MM period, spelt loosely (a corrected file for
    that month replaces the earlier one, whatever follows the period: `crm_contacts_2026-01-corrected.csv`
    replaces `crm_contacts_2026-01.csv`; `return_planning_2026-01` and `return_leisure_2026-01` are two
    deliveries), or, for a name without a period, the name itself."""
    match = PERIOD_IN_NAME.search(file_name)
    if not match:
        return file_name
    prefix = snake(file_name[:match.start()])
    return f"{prefix}_{match[1]}" if prefix else match[1]


def delivery_month(file_name: str) -> dt.date | None:
    """The first day of the month a file is a delivery for (the YYYY-MM in its name), if it names one."""
    match = PERIOD_IN_NAME.search(file_name)
    try:
        return dt.date.fromisoformat(f"{match[1]}-01") if match else None
    except ValueError:
        return None


def watch_skewed(files: list[Path], settle: float | None = None) -> set[Path]:
    """Of `files`, those modified "in the future" by this machine's clock (the file server's clock is ahead, or
    ours was set back) that did not change while watched for the settle time: one watch for them all, so a
    folder of skewed files costs seconds, not seconds per file. Their age cannot be judged; this stands in."""
    settle = settle if settle is not None else float(os.environ.get("BDC_FILE_SETTLE_SECONDS", "2"))
    now = clock.epoch_seconds()
    before = {}
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if stat.st_mtime > now:
            before[path] = _stat_key(stat)
    if not before:
        return set()
    log.warning("%d file(s) in %s modified up to %.0f s in the future by this machine's clock (clock skew?); "
                "judging them settled by watching them for %.1f s", len(before), files[0].parent,
                max(p.stat().st_mtime for p in before) - now, settle)
    time.sleep(settle)
    return {p for p, key in before.items() if p.exists() and _stat_key(p.stat()) == key}


def settled_sha256(path: Path, attempts: int | None = None, first_wait: float | None = None,
                   settle: float | None = None, watched: bool = False) -> str:
    """The file's SHA-256 once it has stopped changing. A file still being copied (changed in the last
    `BDC_FILE_SETTLE_SECONDS`, or while it was read) or locked by another program is retried with backoff
    (`BDC_FILE_RETRIES` attempts, first wait `BDC_FILE_RETRY_SECONDS`, doubling) before it fails with an error
    naming the file. A file modified "in the future" (the file server's clock is ahead of ours) cannot be aged:
    it counts as settled once it has not changed for the settle time (`watched`: `watch_skewed` saw that)."""
    attempts = attempts or int(os.environ.get("BDC_FILE_RETRIES", "5"))
    wait = first_wait if first_wait is not None else float(os.environ.get("BDC_FILE_RETRY_SECONDS", "1"))
    settle = settle if settle is not None else float(os.environ.get("BDC_FILE_SETTLE_SECONDS", "2"))
    problem = ""
    for attempt in range(attempts):
        try:
            before = path.stat()
            sha = file_sha256(path)
            after = path.stat()
            if _stat_key(before) == _stat_key(after) and (watched or _settled(path, after, settle)):
                return sha
            problem = "it is still being written (it changed moments ago or while it was read)"
        except PermissionError as exc:
            problem = f"it is locked by another program ({exc.strerror})"
        if attempt < attempts - 1:
            log.info("%s: %s; retrying in %.1f s", path.name, problem, wait)
            time.sleep(wait)
            wait *= 2
    raise SourceFileError(path, f"{problem}; gave up after {attempts} attempts (tried again on the next run)",
                          transient=True)


def _stat_key(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_size, stat.st_mtime_ns


def _settled(path: Path, stat: os.stat_result, settle: float) -> bool:
    """Unchanged for `settle` seconds: by its age, or, when its time is ahead of our clock (clock skew between
    this machine and the file system), by watching it that long."""
    age = clock.epoch_seconds() - stat.st_mtime
    if age >= settle:
        return True
    if age >= 0:
        return False
    log.warning("%s: modified %.0f s in the future by this machine's clock (clock skew?); judging it settled by "
                "watching it for %.1f s", path.name, -age, settle)
    time.sleep(settle)
    return _stat_key(path.stat()) == _stat_key(stat)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def raw_table(contract: SourceContract) -> str:
    return f"raw.{contract.name}"


def ensure_raw_table(con: duckdb.DuckDBPyConnection, contract: SourceContract) -> None:
    """Create raw.<source>, or add columns the contract gained since it was created."""
    columns = ", ".join(f'"{c.name}" VARCHAR' for c in contract.columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(contract)} ({columns}, _source_file VARCHAR, "
                "_file_sha256 VARCHAR, _row_number BIGINT, _loaded_at TIMESTAMP, _run_id VARCHAR)")
    existing = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
        [contract.name]).fetchall()}
    for column in contract.columns:
        if column.name not in existing:
            con.execute(f'ALTER TABLE {raw_table(contract)} ADD COLUMN "{column.name}" VARCHAR')


def no_header(contract: SourceContract, path: Path, first_row: list[str]) -> SourceFileError:
    """The error for a file whose first row names none of the source's columns. That row may be a record (a
    headerless export), so none of its values is repeated: only how many cells it has."""
    return SourceFileError(path, f"no cell of its first row is a {contract.title} column ({len(first_row)} cells): "
                                 f"is the header row missing? Expected {contract.header}")


def match_columns(contract: SourceContract, delivered: list[str], path: Path) -> tuple[dict[str, str], list[str]]:
    """Map contract column -> delivered column by name (order and case do not matter)."""
    mapping: dict[str, str] = {}
    for column in contract.columns:
        hits = [d for d in delivered if column.matches(d)]
        if hits:
            mapping[column.name] = hits[0]
    if not mapping:
        raise no_header(contract, path, delivered)
    missing = [c.name for c in contract.columns if c.required and c.name not in mapping]
    if missing:
        # The other cells are named only when most required columns were found (the row is a header); a record
        # whose cell happens to equal a column name must not be repeated.
        required = sum(1 for c in contract.columns if c.required)
        others = [d for d in delivered if d not in mapping.values()]
        named = others if len(missing) * 2 < required else f"{len(others)} other cell(s)"
        raise SourceFileError(path, f"missing required column(s) {missing}; besides "
                                    f"{sorted(mapping.values())} the first row has {named}")
    extra = [d for d in delivered if d not in mapping.values()]
    return mapping, extra


def csv_relation(readable: Path, header: list[str]) -> str:
    """A relation over a UTF-8 CSV (the delivered file, or its UTF-8 copy), every column as text, named by
    `header` (the delivered header line)."""
    columns = "{" + ", ".join(f"'{_quote(n)}': 'VARCHAR'" for n in header) + "}"
    return (f"read_csv('{_quote(readable)}', header = true, columns = {columns}, auto_detect = false, "
            "delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8', strict_mode = true, null_padding = false, "
            "max_line_size = 16777216)")


def _csv_header(contract: SourceContract, path: Path) -> list[str]:
    """The header line's column names, decoded with the contract's encoding (a UTF-8 BOM is dropped)."""
    codec = "utf-8-sig" if is_utf8(contract.encoding) else contract.encoding
    with path.open("rb") as handle:
        first = handle.readline(1 << 20)
    try:
        line = first.decode(codec)
    except UnicodeDecodeError as exc:
        raise SourceFileError(path, f"the header is not valid {contract.encoding} text ({exc.reason} at byte "
                                    f"{exc.start}); was the file exported in another encoding?") from exc
    names = next(csv.reader([line.rstrip("\r\n")]), [])
    if not any(n.strip() for n in names):
        raise SourceFileError(path, "the first line is blank: no header row")
    if not any(c.matches(n) for c in contract.columns for n in names):
        raise no_header(contract, path, names)
    duplicates = sorted({n for n in names if names.count(n) > 1 and any(c.matches(n) for c in contract.columns)})
    if duplicates:  # only column names are repeated (a headerless file's first row is checked by match_columns)
        raise SourceFileError(path, f"column(s) {duplicates} appear more than once in the header")
    return names


def xlsx_sheet_names(path: Path) -> list[str]:
    """The worksheet names of an XLSX file, in workbook order (read from xl/workbook.xml)."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml").decode("utf-8")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise SourceFileError(path, f"is not an XLSX workbook ({exc})") from exc
    return [html.unescape(n) for n in re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', workbook)]


SHEET_DIMENSION = re.compile(rb'<dimension\b[^>]*\bref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
SHEET_TARGET = (r'<Relationship\b[^>]*\bId="{rid}"[^>]*\bTarget="([^"]+)"'
                r'|<Relationship\b[^>]*\bTarget="([^"]+)"[^>]*\bId="{rid}"')


def xlsx_last_row(path: Path, sheet_name: str | None) -> int | None:
    """The last used row of a worksheet, from the `<dimension>` its writer records at the top of the sheet's XML
    (Excel, report writers and xlsxwriter all write it), or None when it is missing. Reading only the first
    few kilobytes keeps this cheap however large the sheet."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml").decode("utf-8")
            sheets = re.findall(r'<sheet\b[^>]*\bname="([^"]*)"[^>]*\br:id="([^"]+)"', workbook)
            rid = next((r for n, r in sheets if sheet_name is None or html.unescape(n) == sheet_name), None)
            rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
            match = re.search(SHEET_TARGET.format(rid=re.escape(rid or "")), rels) if rid else None
            if not match:
                return None
            target = (match[1] or match[2]).lstrip("/")
            member = target if target.startswith("xl/") else f"xl/{target}"
            with archive.open(member) as sheet:
                head = sheet.read(4096)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError):
        return None
    found = SHEET_DIMENSION.search(head)
    return int(found[1]) if found and found[1] else None


def _sheet(contract: SourceContract, path: Path, notes: list[str]) -> str | None:
    """The sheet to read: the contract's, or the only sheet when a one-sheet workbook renamed it."""
    if not contract.sheet:
        return None
    names = xlsx_sheet_names(path)
    if contract.sheet in names:
        return contract.sheet
    if len(names) == 1:
        notes.append(f"sheet {contract.sheet!r} not found; read the only sheet, {names[0]!r}")
        return names[0]
    raise SourceFileError(path, f"has no sheet {contract.sheet!r}; its sheets are {names}")


def xlsx_relation(con: duckdb.DuckDBPyConnection, contract: SourceContract, path: Path,
               notes: list[str]) -> tuple[str, int]:
    """A relation over the sheet below its header row (found by name, below any title rows)."""
    load_extension(con, "excel")
    sheet_name = _sheet(contract, path, notes)
    sheet = f", sheet = '{_quote(sheet_name)}'" if sheet_name else ""
    try:
        top = con.execute(f"SELECT * FROM read_xlsx('{_quote(path)}', header = false, all_varchar = true{sheet}, "
                          f"range = 'A1:{XLSX_LAST_COLUMN}{XLSX_HEADER_SEARCH_ROWS}')").fetchall()
    except duckdb.Error as exc:
        raise SourceFileError(path, f"cannot open as XLSX{' sheet ' + sheet_name if sheet_name else ''}: "
                                    f"{_first_line(exc)}") from exc
    best_row, best_hits = -1, 0
    for index, row in enumerate(top):
        hits = sum(1 for cell in row if cell and any(c.matches(cell) for c in contract.columns))
        if hits > best_hits:
            best_row, best_hits = index, hits
    if best_row < 0:
        raise SourceFileError(path, f"no header row with the expected column names in the first "
                                    f"{XLSX_HEADER_SEARCH_ROWS} rows")
    header = list(top[best_row])
    while header and header[-1] is None:
        header.pop()
    letters = [_column_letter(i) for i in range(len(header))]
    header_row = best_row + 1
    pairs = list(zip(letters, header, strict=True))
    cols = ", ".join(f'"{letter}" AS "{_quote_ident(name or letter)}"' for letter, name in pairs)
    # Read to the sheet's last used row: a range to row 1048576 would make DuckDB produce a million empty rows.
    last_row = xlsx_last_row(path, sheet_name) or XLSX_MAX_ROWS
    if last_row <= header_row:  # a header and nothing below it: no rows, the delivered columns
        names = ", ".join(f'NULL::VARCHAR AS "{_quote_ident(name or letter)}"' for letter, name in pairs)
        return f"(SELECT {names} WHERE false)", header_row + 1
    relation = (f"(SELECT {cols} FROM read_xlsx('{_quote(path)}', header = false, all_varchar = true{sheet}, "
                f"range = 'A{header_row + 1}:{letters[-1]}{last_row}'))")
    return relation, header_row + 1


@contextmanager
def file_relation(con: duckdb.DuckDBPyConnection, contract: SourceContract, path: Path,
                  notes: list[str]) -> Iterator[tuple[str, int]]:
    """A DuckDB relation (SQL text) over one landing file's data rows, every column as text, named as delivered,
    and the file row number of its first data row, for use inside the block: a CSV in another encoding than
    UTF-8 is read from a UTF-8 copy that lasts as long as the block, in the connection's scratch folder
    (warehouse/db.py; sources/text_encoding.py). Problems found on the way are appended to `notes`."""
    if contract.format == "xlsx":
        yield xlsx_relation(con, contract, path, notes)
        return
    header = _csv_header(contract, path)
    folder = scratch_folder(con)
    with ExitStack() as stack:
        try:
            readable = stack.enter_context(as_utf8(path, contract.encoding, folder))
        except EncodingProblem as exc:
            raise SourceFileError(path, f"cannot be read as CSV ({contract.encoding}): {exc}") from exc
        except OSError as exc:  # the disk is full, say: the file may be fine, so it is tried again next run
            raise SourceFileError(path, f"its UTF-8 copy could not be written in {folder or 'TMPDIR'} "
                                        f"({exc.strerror or type(exc).__name__}); tried again next run",
                                  transient=True) from None
        yield csv_relation(readable, header), 2


def load_file(con: duckdb.DuckDBPyConnection, contract: SourceContract, path: Path, sha256: str,
              run_id: str) -> tuple[int, int, list[str]]:
    """Load one file into raw.<source> in one transaction, as delivered tonight (the clock's as_of). Returns
    (rows, blank rows, notes)."""
    if path.stat().st_size == 0:
        raise SourceFileError(path, "the file is empty (0 bytes)")
    notes: list[str] = []
    unreadable = f"cannot be read as {contract.format.upper()} ({contract.encoding})"
    with file_relation(con, contract, path, notes) as (relation, first_row):
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        except duckdb.Error as exc:
            raise SourceFileError(path, f"{unreadable}: {_first_line(exc)}") from exc
        delivered = [r[0] for r in described]
        mapping, extra = match_columns(contract, delivered, path)
        if extra:
            notes.append(f"unexpected column(s) not loaded: {extra}")
        blank = " AND ".join(f'"{_quote_ident(d)}" IS NULL' for d in delivered)
        # Number rows in file order; keep everything up to the last non-blank row (an XLSX range pads with
        # empty rows to the sheet's end; those are not part of the delivery).
        try:
            # A fresh table's rowid numbers its rows in insertion order, and DuckDB keeps file order: no window
            # function (single-threaded over the whole file) is needed to number them.
            con.execute(f"CREATE OR REPLACE TEMP TABLE _read AS SELECT ({blank}) AS _blank, * FROM {relation}")
            con.execute("""CREATE OR REPLACE TEMP VIEW _incoming AS
                SELECT rowid AS _offset, * FROM _read
                WHERE rowid <= coalesce((SELECT max(rowid) FROM _read WHERE NOT _blank), -1)""")
        except duckdb.Error as exc:
            raise SourceFileError(path, f"{unreadable}: {_first_line(exc)}") from exc
    select = ", ".join(
        f'"{_quote_ident(mapping[c.name])}"' if c.name in mapping else "NULL" for c in contract.columns)
    now, night, seq = clock.timestamp(), clock.as_of(), clock.next_build_seq(con)
    try:
        with transaction(con):
            blanks, rows = con.execute("SELECT count(*) FILTER (WHERE _blank), count(*) FILTER (WHERE NOT _blank) "
                                       "FROM _incoming").fetchone()
            if rows == 0:
                notes.append("the file has a header but no data rows")
            con.execute(
                f"INSERT INTO {raw_table(contract)} SELECT {select}, ?, ?, _offset + ?, ?, ? FROM _incoming "
                "WHERE NOT _blank",
                [str(path), sha256, first_row, now, run_id])
            stat = path.stat()
            con.execute(
                """INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, size_bytes, rows_loaded,
                   blank_rows, notes, loaded_at, run_id, delivery_key, file_modified_ns, loaded_as_of, load_seq)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [contract.name, path.name, str(path), sha256, stat.st_size, rows, blanks,
                 "; ".join(notes) or None, now, run_id, delivery_key(path.name), stat.st_mtime_ns, night, seq])
            superseded = con.execute(
                """UPDATE audit.loaded_files SET superseded_by = ?, superseded_at = ?
                   WHERE source = ? AND delivery_key = ? AND file_sha256 <> ? AND superseded_by IS NULL
                   RETURNING file_name""", [path.name, now, contract.name, delivery_key(path.name), sha256]).fetchall()
            notes += [f"replaces {name} (a corrected delivery for {delivery_key(path.name)})" for (name,) in superseded]
    finally:
        con.execute("DROP VIEW IF EXISTS _incoming; DROP TABLE IF EXISTS _read")
    return rows, blanks, notes


def load_source(con: duckdb.DuckDBPyConnection, contract: SourceContract, folder: Path, run_id: str) -> LoadReport:
    """Load every new file of one source. A file whose bytes were loaded before is skipped; a file that
    cannot be read is reported (and the others still load) so one bad delivery does not block the rest."""
    ensure_raw_table(con, contract)
    remove_stale_scratch(con)  # left by a run killed while it read a file (one writer: none is in use)
    report = LoadReport(source=contract.name)
    files = discover_files(contract, folder)
    report.files_found = len(files)
    if not folder.is_dir():
        report.notes.append(f"landing folder {folder} does not exist")
    loaded = dict(con.execute("SELECT file_sha256, file_path FROM audit.loaded_files WHERE source = ?",
                              [contract.name]).fetchall())
    for name, key in con.execute("SELECT DISTINCT file_name, delivery_key FROM audit.loaded_files WHERE source = ?",
                                 [contract.name]).fetchall():  # loaded before the column or an older spelling
        if key != delivery_key(name):
            con.execute("UPDATE audit.loaded_files SET delivery_key = ? WHERE source = ? AND file_name = ?",
                        [delivery_key(name), contract.name, name])
    # A file already loaded from the same path, with the same size and modification time, is not read again
    # to hash it: on a night with a few new files, the history's files cost a stat each, not a full read.
    unchanged = {(path, size, modified): sha for path, size, modified, sha in con.execute(
        """SELECT file_path, size_bytes, file_modified_ns, file_sha256 FROM audit.loaded_files
           WHERE source = ? AND file_modified_ns IS NOT NULL""", [contract.name]).fetchall()}
    known = {path for path, _, _ in unchanged}
    watched = watch_skewed([p for p in files if str(p) not in known])
    for link in linked_folders(folder):  # never listed (globbing does not follow them), but never silently ignored
        _report_error(report, SourceFileError(link, LINK_REFUSED))
    for path in files:
        if (outside := _outside_landing(path, folder)) is not None:
            _report_error(report, SourceFileError(path, outside))
            continue
        try:
            stat = path.stat()
            sha = unchanged.get((str(path), stat.st_size, stat.st_mtime_ns)) or \
                settled_sha256(path, watched=path in watched)
        except FileNotFoundError:  # moved away between listing and reading: the next night sees it or not
            report.notes.append(f"{path.name} disappeared while the folder was being read")
            continue
        except SourceFileError as exc:
            _report_error(report, exc)
            continue
        if sha in loaded:
            if loaded[sha] != str(path):
                con.execute("""INSERT OR IGNORE INTO audit.duplicate_deliveries
                               (source, file_path, file_sha256, duplicate_of, seen_at, run_id, seen_as_of)
                               VALUES (?, ?, ?, ?, ?, ?, ?)""",
                            [contract.name, str(path), sha, loaded[sha], clock.timestamp(), run_id, clock.as_of()])
                log.info("%s: %s has the same bytes as %s; skipped", contract.name, path.name, loaded[sha])
            report.files_skipped.append(path.name)
            continue
        try:
            rows, blanks, notes = load_file(con, contract, path, sha, run_id)
        except SourceFileError as exc:
            _report_error(report, exc)
            continue
        loaded[sha] = str(path)
        report.files_loaded.append(path.name)
        report.rows_loaded += rows
        report.notes += [f"{path.name}: {n}" for n in notes]
        if blanks:
            report.notes.append(f"{path.name}: {blanks} blank row(s) ignored")
        log.info("%s: loaded %s (%d rows)", contract.name, path.name, rows)
    replaced = record_refusals(con, contract.name,
                               [(e.path, e.problem, delivery_key(e.path.name)) for e in report.refused], run_id)
    for error in [e for e in report.refused if str(e.path) in replaced]:  # still there, but no longer needed
        report.refused.remove(error)
        report.notes.append(f"{error.path.name} cannot be read ({error.problem}) but was {replaced[str(error.path)]}:"
                            " it can be removed from the landing folder")
    return report


LINK_REFUSED = ("is reached through a symbolic link; links are refused (they could point anywhere): put the file "
                "itself in the landing folder")


def linked_folders(folder: Path) -> list[Path]:
    """Folders inside the landing folder that are symbolic links (their files are not read)."""
    return sorted(p for p in folder.rglob("*") if p.is_symlink() and p.is_dir()) if folder.is_dir() else []


def _outside_landing(path: Path, folder: Path) -> str | None:
    """Why a listed file may not be read, or None: a symbolic link (to the file or a folder on its way), or a
    file that resolves outside the landing folder. Only files put in the folder itself are loaded, so a link
    cannot make the pipeline read (and publish) a file nobody delivered."""
    relative = path.relative_to(folder)
    for depth in range(1, len(relative.parts) + 1):
        if (folder / Path(*relative.parts[:depth])).is_symlink():
            return LINK_REFUSED
    if not path.resolve().is_relative_to(folder.resolve()):
        return f"resolves outside the landing folder {folder}: refused"
    return None


def _report_error(report: LoadReport, exc: SourceFileError) -> None:
    if exc.transient:
        report.deferred.append(str(exc))
        log.warning("%s", exc)
    else:
        report.refused.append(exc)
        log.error("%s", exc)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rem] + letters
    return letters


def _quote(text: str | Path) -> str:
    return str(text).replace("'", "''")


def _quote_ident(text: str) -> str:
    return text.replace('"', '""')


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]

