"""DuckDB access: the warehouse resource, offline extensions, schemas and SQL macros."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from warehouse.settings import DISTRICT_CODE, load_settings

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
    con.execute(f"LOAD '{extension_path(name)}'")


def prepare(con: duckdb.DuckDBPyConnection, pseudonym_key: str | None = None) -> None:
    """Per-connection setup: offline-only extensions, variables and the helper macros."""
    con.execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false")
    key = pseudonym_key if pseudonym_key is not None else load_settings().pseudonym_key
    con.execute("SET VARIABLE pseudonym_key = ?", [key])
    con.execute("SET VARIABLE district_code = ?", [DISTRICT_CODE])
    con.execute((SQL_DIR / "macros.sql").read_text())


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute((SQL_DIR / "audit.sql").read_text())


class WarehouseResource(DuckDBResource):
    """The working warehouse. One writer at a time: the nightly job runs in process, step by step, and every
    step of a run shares one connection, opened when the run starts and closed when it ends."""

    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        self._run_connection = self._open()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._run_connection is not None:
            self._run_connection.close()
            self._run_connection = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        config = {"custom_user_agent": "bromsgrove-warehouse", **self.connection_config}
        con = duckdb.connect(self.database, config=config)
        prepare(con)
        ensure_schemas(con)
        return con

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection; outside a run (a script, a test) a connection of its own, closed afterwards."""
        if self._run_connection is not None:
            yield self._run_connection
            return
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        con = self._open()
        try:
            yield con
        finally:
            con.close()
