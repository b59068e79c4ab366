"""The Dagster resource for the working warehouse: one connection per run, brought up to date with the
catalogue (its measure renames) whenever it is opened."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from warehouse import clock
from warehouse.catalogue import catalogue
from warehouse.council import serving
from warehouse.db import connect_waiting, ensure_schemas, prepare, remove_stale_scratch
from warehouse.renames import apply_renames
from warehouse.settings import council_of_run, load_settings, shared_data_dir

LOG = logging.getLogger(__name__)


class WarehouseResource(DuckDBResource):
    """The working warehouse. One writer at a time: the nightly job runs in process, step by step, and every
    step of a run shares one connection, opened when the run starts and closed when it ends."""

    lock_wait_seconds: float = 600.0  # another writer (a run started by hand) holds the file: wait, then fail
    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    @property
    def path(self) -> str:
        """The file this resource opens."""
        return self.database

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._run_connection = self._open(context.run_id, context.log)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._run_connection is not None:
            self._run_connection.close()
            self._run_connection = None

    def _open(self, run_id: str | None = None, log: logging.Logger | None = None) -> duckdb.DuckDBPyConnection:
        # DuckDB would otherwise take up to 80% of the machine's memory for its buffers; a council server runs
        # other things. Larger sorts and joins spill to <warehouse>.tmp/ instead.
        settings = load_settings()
        config = {"custom_user_agent": "bromsgrove-warehouse", "memory_limit": settings.duckdb_memory_limit,
                  "max_temp_directory_size": settings.duckdb_max_temp, **self.connection_config}
        con = connect_waiting(self.path, config, wait_seconds=self.lock_wait_seconds)
        prepare(con)
        ensure_schemas(con)
        remove_stale_scratch(con)  # copies of a delivery a killed run left (this connection holds the write lock)
        # Before any step reads it: a renamed measure's history under its current id, whichever assets run.
        for former, (current, rows) in apply_renames(con, catalogue(), run_id).items():
            (log or LOG).info(f"measure {former} is now {current}: {rows} row(s) of its history moved "
                              "(audit.measure_renames)")
        return con

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection; outside a run (a script, a test) a connection of its own, closed afterwards."""
        if self._run_connection is not None:
            # The night as the run's clock has it now (a settings resource may have set it after this connection
            # was opened: resources are set up in no order this code relies on).
            self._run_connection.execute("SET VARIABLE as_of = ?::DATE", [clock.as_of()])
            yield self._run_connection
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = self._open()
        try:
            yield con
        finally:
            con.close()


class SharedWarehouseResource(WarehouseResource):
    """The shared code location's working warehouse: each run opens its council's (`council_of_run`), under
    <data_root>/councils/<id>/warehouse/ (warehouse/settings.py `shared_data_dir`; data_root unset: BDC_DATA_DIR,
    else data/), with its council's district variables. `database` is not used."""

    database: str = "(the run's council's working warehouse)"
    data_root: str | None = None
    _run_database: str | None = PrivateAttr(default=None)
    _scope: AbstractContextManager | None = PrivateAttr(default=None)

    @property
    def path(self) -> str:
        if self._run_database is None:
            raise RuntimeError("The shared location's warehouse resource opens a council's warehouse in a run only.")
        return self._run_database

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.dagster_run is None:
            raise RuntimeError("The shared location's warehouse resource opens a council's warehouse in a run only.")
        council = council_of_run(context.dagster_run)
        self._run_database = str(load_settings(council=council, data_dir=shared_data_dir(
            council, self.data_root)).warehouse_path)
        self._scope = serving(council)  # the connection's district variables are the run's council's
        self._scope.__enter__()
        super().setup_for_execution(context)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        super().teardown_after_execution(context)
        if self._scope is not None:
            self._scope.__exit__(None, None, None)
            self._scope = None
