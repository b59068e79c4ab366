"""Several councils' nights at once into one DuckLake: `python -m pipelines.cli run-lake` (`make run-lake`).

Each council's night runs in its own process (`pipelines.cli run` with BDC_COUNCIL, its own data folder and its own
Dagster instance), side by side; each commits its published copy to the lake as one snapshot (warehouse/lake.py).
One council's failure never stops another's: every council is waited for and reported. While they run, a reader
queries the lake once a second, as a BI tool would, and counts any error it meets.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.council import load_council
from warehouse.lake import LAKE, META_SCHEMA, PUBLISHED_SCHEMAS, Lake, connect, snapshot_for_night
from warehouse.secrets import redact

log = logging.getLogger(__name__)


@dataclass
class CouncilNight:
    council: str
    returncode: int | None = None
    seconds: float = 0.0
    log_file: Path | None = None
    snapshot_id: int | None = None
    measure_values: int | None = None
    lake_bytes: int = 0


@dataclass
class Reader:
    """Queries the lake until stopped: every council's latest measure values, as a dashboard would."""

    lake: Lake
    interval: float = 1.0  # seconds between queries
    queries: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            con = connect(self.lake, read_only=True)
        except Exception as exc:  # noqa: BLE001 - reported with the others
            self.errors.append(redact(f"cannot attach the lake: {type(exc).__name__}: "
                                      f"{str(exc).splitlines()[0][:200]}"))
            return
        try:
            while not self._stop.wait(self.interval):
                try:
                    for (schema,) in con.execute(f"SELECT schema_name FROM duckdb_schemas() WHERE database_name = "
                                                 f"'{LAKE}' AND schema_name LIKE '%\\_marts' ESCAPE '\\'").fetchall():
                        con.execute(f"SELECT count(*), sum(value) FROM {LAKE}.{schema}.measure_values").fetchall()
                    self.queries += 1
                except Exception as exc:  # noqa: BLE001 - counted and reported: the point is whether any occur
                    self.errors.append(redact(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"))
        finally:
            con.close()

    def stop(self) -> None:
        self._stop.set()


def council_environment(council: str, root: Path, lake: Lake, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of one council's night: its profile, its own data folder and Dagster instance, the lake."""
    folder = root / council
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BDC_LANDING_", "BDC_LAKE_"))}
    for name in ("BDC_WAREHOUSE_PATH", "BDC_PUBLISHED_PATH", "BDC_ALERTS_PATH", "BDC_QUALITY_DIR", "BDC_OUTPUTS_DIR",
                 "BDC_ANALYST_PATH"):
        env.pop(name, None)  # every path follows the council's own data folder
    env.update({"BDC_COUNCIL": council, "BDC_DATA_DIR": str(folder), "DAGSTER_HOME": str(folder / "dagster"),
                "BDC_LAKE_CATALOG": lake.catalog, "BDC_LAKE_DATA_PATH": lake.data_path})
    for name, value in (("BDC_LAKE_S3_ENDPOINT", lake.s3_endpoint), ("BDC_LAKE_S3_KEY_ID", lake.s3_key_id),
                        ("BDC_LAKE_S3_SECRET", lake.s3_secret), ("BDC_LAKE_S3_REGION", lake.s3_region),
                        ("BDC_LAKE_S3_USE_SSL", str(lake.s3_use_ssl).lower())):
        if value:
            env[name] = value
    env.update(extra or {})
    return env


def run_councils(councils: list[str], root: Path, lake: Lake, night: dt.date, cli_args: list[str],
                 env_for: Callable[[str], dict[str, str]] | None = None,
                 while_running: Callable[[dict[str, subprocess.Popen]], None] | None = None,
                 ) -> tuple[list[CouncilNight], Reader]:
    """Run each council's night (`night`, for every one of them: a run started before midnight is still that night)
    in its own process at once, with a reader on the lake throughout. `env_for(council)` adds to a council's
    environment; `while_running` is called every 50 ms with the processes still running (the benchmark samples
    their memory)."""
    for council in councils:
        load_council(council)  # an unknown id (or a path) is refused before any folder is made
    connect(lake).close()  # creates the lake's catalog on first use, so the reader can attach from the start
    reader = Reader(lake)
    thread = threading.Thread(target=reader.run, name="lake-reader", daemon=True)
    thread.start()
    started: dict[str, tuple[subprocess.Popen, float, CouncilNight]] = {}
    for council in councils:
        (root / council / "dagster").mkdir(parents=True, exist_ok=True)
        result = CouncilNight(council, log_file=root / council / f"run-lake-{night}.log")
        with result.log_file.open("w", encoding="utf-8") as out:
            process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", *cli_args], stdout=out,
                                       stderr=subprocess.STDOUT, env=council_environment(
                                           council, root, lake,
                                           {"BDC_AS_OF": night.isoformat(), **(env_for(council) if env_for else {})}))
        started[council] = (process, time.monotonic(), result)
        log.info("%s: night %s started (process %d, output in %s)", council, night, process.pid, result.log_file)
    running = dict(started)
    while running:
        if while_running:
            while_running({council: process for council, (process, _, _) in running.items()})
        for council, (process, began, result) in list(running.items()):
            if process.poll() is not None:
                result.returncode, result.seconds = process.returncode, time.monotonic() - began
                log.info("%s: finished with exit code %d in %.0f s", council, result.returncode, result.seconds)
                del running[council]
        time.sleep(0.05)
    results = [result for _, _, result in started.values()]
    reader.stop()
    thread.join()
    _read_back(lake, night, results)
    return results, reader


def _read_back(lake: Lake, night: dt.date, results: list[CouncilNight]) -> None:
    con = connect(lake, read_only=True)
    try:
        for result in results:
            result.snapshot_id = snapshot_for_night(con, result.council, night)
            if result.snapshot_id is not None:
                result.measure_values = con.execute(
                    f"SELECT count(*) FROM {LAKE}.{result.council}_marts.measure_values").fetchone()[0]
    finally:
        con.close()
    if not lake.on_object_storage:
        for result in results:
            result.lake_bytes = sum(p.stat().st_size for folder in council_folders(lake, result.council)
                                    for p in folder.rglob("*") if p.is_file())


def council_folders(lake: Lake, council: str) -> list[Path]:
    """A council's schemas' folders under a local lake's data path (exactly its own: not `<council>_x_core`)."""
    return [Path(lake.data_path) / f"{council}_{schema}" for schema in (*PUBLISHED_SCHEMAS, META_SCHEMA)]


def summary(results: list[CouncilNight], reader: Reader, lake: Lake) -> str:
    """What each council's night did, and what the reader met, for the terminal."""
    lines = [f"{'council':<12} {'exit':>4} {'seconds':>8} {'snapshot':>8} {'measure_values':>14} {'lake MB':>8}"]
    for r in results:
        lines.append(f"{r.council:<12} {r.returncode!s:>4} {r.seconds:>8.0f} {r.snapshot_id!s:>8} "
                     f"{r.measure_values!s:>14} {r.lake_bytes / 1e6:>8.1f}")
    failed = [r.council for r in results if r.returncode]
    lines.append(f"Reader: {reader.queries} queries of the lake while the nights ran, {len(reader.errors)} errors"
                 + (f" (first: {reader.errors[0]})" if reader.errors else ""))
    if failed:
        lines.append(f"Failed: {', '.join(failed)} (its output is in its run-lake log); the others' nights stand.")
    lines.append(f"Lake: catalog {redact(lake.catalog)!r}, data in {lake.data_path}. Each council's tables "
                 "are in schemas "
                 f"<council>_core, <council>_marts, <council>_audit; time travel: ... AT (VERSION => <snapshot>).")
    return "\n".join(lines)
