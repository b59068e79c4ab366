"""A throw-away PostgreSQL server from Debian's package, for the lake's catalog in `make run-lake` and the tests.

Started in a folder of ours on 127.0.0.1 and a free port, trusted local logins, stopped (and its folder kept) when
the block ends. As root it runs as the `postgres` user the package creates, because PostgreSQL refuses to run as
root. A production lake's catalog is the council's own managed PostgreSQL (README "Running several councils").
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
SUPERUSER = "lake"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (Debian: `apt-get install postgresql`)."""


def server_binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise PostgresUnavailable("PostgreSQL's server programs (initdb, pg_ctl) are not installed: on Debian, "
                                  "`apt-get install postgresql` (`make lake-deps` does it)")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class LocalPostgres:
    folder: Path
    port: int

    def conninfo(self, database: str) -> str:
        """A libpq connection string for `database` on this server."""
        return f"dbname={database} host=127.0.0.1 port={self.port} user={SUPERUSER}"

    def create_database(self, name: str) -> str:
        """Create `name` (if new) and return its connection string."""
        exists = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", "postgres", "-tAc",
                           f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if exists.strip() != "1":
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        return self.conninfo(name)

    def _run(self, program: str, *args: str) -> str:
        return _as_server_user([str(_client(program)), *args])


def _client(program: str) -> Path:
    path = server_binaries() / program
    return path if path.exists() else Path(shutil.which(program) or program)


def _as_server_user(command: list[str]) -> str:
    program = Path(command[0]).name
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{program} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[:500]}")
    return done.stdout


@contextmanager
def local_postgres(folder: Path) -> Iterator[LocalPostgres]:
    """A PostgreSQL server with its data in `folder`/data (created on first use), running while the block lasts."""
    binaries = server_binaries()
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    data = folder / "data"
    if not (data / "PG_VERSION").exists():
        _as_server_user([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                         "--no-sync"])
    server = LocalPostgres(folder, _free_port())
    options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w",
                     "start"])
    log.info("PostgreSQL %s started on 127.0.0.1:%d (data in %s)", binaries.parent.name, server.port, data)
    try:
        yield server
    finally:
        _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
