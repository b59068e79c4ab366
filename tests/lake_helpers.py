"""Servers the lake tests start on 127.0.0.1: PostgreSQL from Debian's package (the catalog) and moto's S3."""

from __future__ import annotations

import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.local_postgres import LocalPostgres, local_postgres
from warehouse.lake import Lake


@contextmanager
def postgres_server() -> Iterator[LocalPostgres]:
    """A PostgreSQL server for one test module. Its folder is outside pytest's (mode 0700, root's): the server runs
    as the `postgres` user when the tests run as root."""
    folder = Path(tempfile.mkdtemp(prefix="bdc-test-pg-"))
    try:
        with local_postgres(folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_lake(server: LocalPostgres, data_path: str, **s3: object) -> Lake:
    """An empty lake: a new catalog database on `server`, data under `data_path`."""
    return Lake(catalog=server.create_database(f"lake_{uuid.uuid4().hex[:12]}"), data_path=data_path, **s3)


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 on 127.0.0.1; yields its host:port."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def same_rows(con: duckdb.DuckDBPyConnection, left: str, right: str) -> bool:
    """Whether two relations hold the same rows, duplicates counted (EXCEPT ALL both ways is empty)."""
    return con.execute(f"SELECT count(*) FROM ((FROM {left} EXCEPT ALL FROM {right}) "
                       f"UNION ALL (FROM {right} EXCEPT ALL FROM {left}))").fetchone()[0] == 0
