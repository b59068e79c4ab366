"""DuckDB access: the warehouse resource, offline extensions, schemas and SQL macros."""

from __future__ import annotations

import importlib.util
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from warehouse.settings import load_settings

log = logging.getLogger(__name__)
SQL_DIR = Path(__file__).with_name("sql")
SCHEMAS = ("raw", "staging", "core", "measures", "marts", "audit")


@cache
def extension_path(name: str) -> str:
    """Path of an extension binary shipped by the `duckdb-extension-<name>` package (never downloaded)."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"DuckDB extension package duckdb-extension-{name} is not installed (see pyproject.toml)")
    root = Path(next(iter(spec.submodule_search_locations)))
    wanted = f"v{duckdb.__version__}"
    for path in root.rglob(f"{name}.duckdb_extension"):
        if path.parent.name == wanted:
            return str(path)
    raise RuntimeError(f"duckdb-extension-{name} has no build for DuckDB {duckdb.__version__} under {root}")


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a bundled extension into this connection's database, once (LOAD itself costs a fraction of a second
    even when the extension is already loaded, and raw loads ask for it once per file)."""
    loaded = con.execute("SELECT loaded FROM duckdb_extensions() WHERE extension_name = ?", [name]).fetchone()
    if not (loaded and loaded[0]):
        con.execute(f"LOAD '{extension_path(name)}'")


def prepare(con: duckdb.DuckDBPyConnection, pseudonym_key: str | None = None) -> None:
    """Per-connection setup: offline-only extensions, variables and the helper macros."""
    con.execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false")
    settings = load_settings()
    key = pseudonym_key if pseudonym_key is not None else settings.pseudonym_key
    con.execute("SET VARIABLE pseudonym_key = ?", [key])
    con.execute("SET VARIABLE as_of = ?::DATE", [settings.as_of])  # today, or BDC_AS_OF for a past night
    con.execute("SET VARIABLE district_code = ?", [settings.council.lad_code])
    con.execute("SET VARIABLE district_name = ?", [settings.council.name])
    con.execute("SET VARIABLE district_area_name = ?", [settings.council.area_name])
    con.execute((SQL_DIR / "macros.sql").read_text())


_IN_TRANSACTION: set[int] = set()  # id() of connections inside `transaction` (DuckDB has no savepoints)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together or not at all. Inside another `transaction` on the same connection
    it joins that one: the outer one commits or rolls back the whole (e.g. a source staged and judged as one,
    see quality/holds.py)."""
    if id(con) in _IN_TRANSACTION:
        yield
        return
    con.execute("BEGIN TRANSACTION")
    _IN_TRANSACTION.add(id(con))
    try:
        yield
    except BaseException:
        _IN_TRANSACTION.discard(id(con))
        con.execute("ROLLBACK")
        raise
    _IN_TRANSACTION.discard(id(con))
    con.execute("COMMIT")


def table_exists(con: duckdb.DuckDBPyConnection, table: str, catalog: str | None = None) -> bool:
    """Whether `table` ("schema.name") exists in `catalog` (default: the connection's own database)."""
    schema, name = table.split(".")
    return bool(con.execute("""SELECT count(*) FROM information_schema.tables WHERE table_catalog =
                               coalesce(?, current_database()) AND table_schema = ? AND table_name = ?""",
                            [catalog, schema, name]).fetchone()[0])


SCRATCH_PREFIX = "utf8-copy-"  # a delivery's UTF-8 copy while it is read (sources/text_encoding.py)


def scratch_folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Where a connection's readers make their temporary copies of a delivery: DuckDB's own spill folder for a
    database on disk (`<warehouse>.tmp/`, as protected as the warehouse); None (TMPDIR) for one in memory."""
    setting = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    return Path(setting) if setting and Path(setting).is_absolute() else None


def remove_stale_scratch(con: duckdb.DuckDBPyConnection) -> int:
    """Remove the copies a killed process left in the connection's scratch folder (they hold a delivery's rows,
    personal data included). Call only while holding the database's write lock: no other reader is using one."""
    folder = scratch_folder(con)
    stale = list(folder.glob(f"{SCRATCH_PREFIX}*")) if folder is not None and folder.is_dir() else []
    removed = 0
    for left in stale:
        try:
            shutil.rmtree(left)
            removed += 1
        except OSError as exc:  # the night goes on; the copy is named (not its contents) to be removed by hand
            log.error("could not remove %s, a copy of a delivery a stopped run left: %s", left, exc.strerror)
    if removed:
        log.warning("removed %d copy(ies) of a delivery left in %s by a run that was stopped", removed, folder)
    return removed


def is_lock_error(exc: BaseException) -> bool:
    """DuckDB refusing a file another process holds ("Could not set lock on file")."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def connect_waiting(database: str, config: dict | None = None, read_only: bool = False,
                    wait_seconds: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; while another process holds its lock, retry with backoff for up to
    `wait_seconds`, then raise WarehouseBusy naming the file. Never two writers: the second one waits."""
    deadline, delay = time.monotonic() + wait_seconds, 0.5
    while True:
        try:
            return duckdb.connect(database, read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            if not is_lock_error(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise WarehouseBusy(f"{database} is in use by another process (a run in progress?); "
                                    f"waited {wait_seconds:.0f} s") from exc
            log.info("%s is locked by another process; retrying in %.1f s", database, delay)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)


class WarehouseBusy(RuntimeError):
    """The warehouse file is held by another writer for longer than we were willing to wait."""


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute((SQL_DIR / "audit.sql").read_text())
