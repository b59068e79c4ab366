"""Speed at scale: the DuckDB floor, a full load and each kind of night (quiet, one source, the heaviest), with
peak memory; and the bundled sample's `make run`.

    make bench                                    # 100 k, 1 M and 10 M contacts (about 90 minutes on 2 cores)
    .venv/bin/python bench/speed.py --scales 100000 --json /tmp/speed.json

For each scale, in one invocation and on the same generated landing files:
  1. generate: the sample at that many contact rows (`pipelines.cli generate-sample --contacts N`), all months
     up to --end-month; the last month's deliveries are held back as the nights' files;
  2. floor: bench/floor.py reads the history with DuckDB and runs the same SQL into a fresh database;
  3. full: the nightly job as a user runs it (`pipelines.cli run --skip-outputs`) on the history, into an
     empty warehouse, with a Dagster instance of its own;
  4. quiet: the next night, with no file delivered since: the nightly job as `pipelines.cli run` runs it (the
     schedule decides the same way, pipelines/quiet.py);
  5. one_source: the held-back month of `crm_contacts` only is delivered and the nightly job runs; then the data
     folder is put back as the quiet night left it (a copy taken before, timestamps kept);
  6. incremental: every held-back file (one delivery from every monthly source: the heaviest regular night) is
     delivered and the nightly job runs again;
  7. (--verify) for each night kind, a full rebuild from the same landing files on the same night in a fresh
     folder, its marts.measure_values compared with the night's.
Every step is a separate process: seconds are wall-clock, peak MiB is the largest sum of the resident memory
of the step's process tree, sampled every 50 ms. Prints a table and writes JSON (one object per scale, and a
`sample` entry: `make run`'s own command, nightly job and outputs, on the bundled sample after install).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from sources.scaled_sample import deliver, hold_back_month

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCALES = (100_000, 1_000_000, 10_000_000)
DEFAULT_END_MONTH = "2026-10"
JOB_SECONDS = re.compile(r"Nightly load (SUCCEEDED|FAILED) in ([0-9.]+) s")
QUIET_SECONDS = re.compile(r"Quiet night recorded in ([0-9.]+) s")
ONE_SOURCE = "crm_contacts"  # the one-source night's delivery: the biggest monthly source
CHECKS = re.compile(r"Checks: (\d+) passed, (\d+) warned, (\d+) failed")


def measured(command: list[str], env: dict[str, str], log: Path, attempts: int = 2) -> dict:
    """Run `command`, sampling the resident memory of its process tree; its output goes to `log`. A run killed
    by a signal (a native crash) is retried once and counted in `crashed`: the JSON shows it."""
    for attempt in range(attempts):
        try:
            return {**_measured_once(command, env, log), "crashed": attempt}
        except ProcessCrashed as crash:
            print(f"  {crash}; retrying", flush=True)
            crashed_log = log.with_suffix(f".crash{attempt + 1}.log")
            log.replace(crashed_log)
    raise RuntimeError(f"{' '.join(command)} crashed {attempts} times; see {log.parent}")


class ProcessCrashed(RuntimeError):
    """The step's process died from a signal (e.g. a segmentation fault in a native library)."""


def _measured_once(command: list[str], env: dict[str, str], log: Path) -> dict:
    started = time.monotonic()
    peak = 0
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)
    seconds = time.monotonic() - started
    if process.returncode < 0:
        raise ProcessCrashed(f"{command[1]} died from signal {-process.returncode}")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {process.returncode}; see {log}")
    return {"seconds": round(seconds, 1), "peak_mib": round(peak / 2**20)}


def pipeline_env(data_dir: Path, as_of: dt.date) -> dict[str, str]:
    """The environment of a nightly run on `data_dir`, judged as on `as_of`, with its own Dagster instance."""
    home = data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "BDC_DATA_DIR": str(data_dir), "BDC_AS_OF": as_of.isoformat(), "DAGSTER_HOME": str(home),
            "PYTHONFAULTHANDLER": "1"}


def step_seconds(dagster_home: Path, run_id: str) -> dict[str, float]:
    """Seconds the run spent in each layer's steps (raw, staging, core, measures, marts, checks, published),
    from the run's Dagster event log: where the time goes."""
    import dagster as dg

    started: dict[str, float] = {}
    layers: dict[str, float] = {}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type_value == "STEP_START":
                started[event.step_key] = entry.timestamp
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
                layer = event.step_key.split("__")[0]
                layer = layer if "__" in event.step_key else "checks"
                layers[layer] = layers.get(layer, 0.0) + entry.timestamp - started[event.step_key]
    return {k: round(v, 1) for k, v in sorted(layers.items(), key=lambda kv: -kv[1])}


def nightly(data_dir: Path, as_of: dt.date, log: Path, expect_quiet: bool = False) -> dict:
    """The nightly job as `pipelines.cli run` runs it on `data_dir` for the night `as_of`; a quiet night (no run,
    pipelines/quiet.py) when `expect_quiet`, else a run that must succeed."""
    result = measured([sys.executable, "-m", "pipelines.cli", "run", "--skip-outputs", "--log-level", "WARNING"],
                      pipeline_env(data_dir, as_of), log)
    text = log.read_text(errors="replace")
    quiet = QUIET_SECONDS.search(text)
    if expect_quiet:
        if not quiet:
            raise RuntimeError(f"the night was expected to be quiet and was not; see {log}")
        return {**result, "kind": "quiet", "job_seconds": float(quiet[1]), "steps": {}}
    job, checks = JOB_SECONDS.search(text), CHECKS.search(text)
    if not job or job[1] != "SUCCEEDED":
        raise RuntimeError(f"the nightly job did not succeed; see {log}")
    run_id = re.search(r"Dagster run ([0-9a-f-]+)", text)[1]
    return {**result, "kind": "run", "job_seconds": float(job[2]),
            "steps": step_seconds(data_dir / "dagster_home", run_id),
            "checks": {"passed": int(checks[1]), "warned": int(checks[2]), "failed": int(checks[3])}}


def same_measure_values(first: Path, second: Path, decimals: int | None = 9) -> dict:
    """Compare marts.measure_values of two published warehouses (values to `decimals` places; None: bit for bit),
    naming the measures of the rows found in one only."""
    import duckdb

    def rounded(column: str) -> str:
        return column if decimals is None else f"round({column}, {decimals})"

    with duckdb.connect(str(first), read_only=True) as con:
        con.execute(f"ATTACH '{second}' AS other (READ_ONLY)")
        columns = (f"measure_id, period_start, area_type, area_code, {rounded('value')}, {rounded('numerator')}, "
                   f"{rounded('denominator')}")
        only_first, only_second, rows, measures = con.execute(f"""
            WITH one AS (SELECT {columns} FROM marts.measure_values
                         EXCEPT ALL SELECT {columns} FROM other.marts.measure_values),
                 two AS (SELECT {columns} FROM other.marts.measure_values
                         EXCEPT ALL SELECT {columns} FROM marts.measure_values)
            SELECT (SELECT count(*) FROM one), (SELECT count(*) FROM two), (SELECT count(*) FROM marts.measure_values),
                   (SELECT list(DISTINCT measure_id ORDER BY measure_id)
                    FROM (SELECT measure_id FROM one UNION ALL SELECT measure_id FROM two))""").fetchone()
        # How far apart the rows with the same key are: float noise (sums of millions of doubles in another
        # order) shows as a relative difference near 1e-15; a wrong value as a large one.
        keyed, relative = con.execute("""
            SELECT count(*), max(greatest(
                coalesce(abs(a.value - b.value) / nullif(greatest(abs(a.value), abs(b.value)), 0), 0),
                coalesce(abs(a.numerator - b.numerator) / nullif(greatest(abs(a.numerator), abs(b.numerator)), 0), 0),
                coalesce(abs(a.denominator - b.denominator)
                         / nullif(greatest(abs(a.denominator), abs(b.denominator)), 0), 0)))
            FROM marts.measure_values a JOIN other.marts.measure_values b
                 USING (measure_id, period_start, area_type, area_code)""").fetchone()
    return {"equal": only_first == 0 and only_second == 0, "rows": rows, "only_incremental": only_first,
            "only_full_rebuild": only_second, "measures_differing": measures or [], "rows_with_same_key": keyed,
            "max_relative_difference": relative or 0.0,
            "equal_within_1e-9_relative": keyed == rows and (relative or 0.0) <= 1e-9}


def month_day(month: dt.date, months_ahead: int, day: int) -> dt.date:
    year, index = divmod(month.month - 1 + months_ahead, 12)
    return dt.date(month.year + year, index + 1, day)


def bench_scale(contacts: int, work: Path, end_month: dt.date, verify: bool) -> dict:
    """Every step at one scale; returns the scale's result."""
    folder = work / f"contacts-{contacts}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    data, logs = folder / "data", folder / "logs"
    logs.mkdir()
    month = end_month.strftime("%Y-%m")
    print(f"[{contacts:,} contacts] generating ...", flush=True)
    generate = measured([sys.executable, "-m", "pipelines.cli", "generate-sample", "--contacts", str(contacts),
                         "--end-month", month], {**os.environ, "BDC_DATA_DIR": str(data)}, logs / "generate.log")
    landing, night = data / "landing", folder / "night"
    night_files = len(hold_back_month(landing, night, month))
    history_rows = _landing_rows(logs / "generate.log")
    # The history's last month is due by the 28th of end_month; the held-back month by the 28th of the next.
    full_as_of, night_as_of = month_day(end_month, 0, 28), month_day(end_month, 1, 28)
    quiet_as_of = full_as_of + dt.timedelta(days=1)
    print(f"[{contacts:,} contacts] floor ...", flush=True)
    floor = measured([sys.executable, "bench/floor.py", "--landing", str(landing),
                      "--database", str(folder / "floor.duckdb")],
                     {**os.environ, "BDC_AS_OF": full_as_of.isoformat(), "PYTHONPATH": str(ROOT),
                      "PYTHONFAULTHANDLER": "1"},
                     logs / "floor.log")
    floor.update(json.loads((logs / "floor.log").read_text().strip().splitlines()[-1]))
    (folder / "floor.duckdb").unlink()
    print(f"[{contacts:,} contacts] full pipeline ...", flush=True)
    full = nightly(data, full_as_of, logs / "full.log")
    print(f"[{contacts:,} contacts] quiet night ...", flush=True)
    quiet = nightly(data, quiet_as_of, logs / "quiet.log", expect_quiet=True)
    # Each night kind: (its night, the landing files it had, the published copy it left), for --verify.
    nights = {"quiet": (quiet_as_of, _landing_copy(landing, folder / "landing-quiet", verify),
                        _keep_published(data, folder / "quiet.duckdb", verify))}
    # The one-source night runs on the quiet night's folder and is then undone (the copy keeps timestamps, so
    # the restored landing files are known to the warehouse as they were).
    before = folder / "data-before-one-source"
    shutil.copytree(data, before, copy_function=shutil.copy2)
    one_source_files = [p for p in night.rglob("*") if p.is_file() and p.relative_to(night).parts[0] == ONE_SOURCE]
    delivered = [_move_file(p, night, landing) for p in one_source_files]
    print(f"[{contacts:,} contacts] one-source night ({len(delivered)} {ONE_SOURCE} file(s)) ...", flush=True)
    one_source = nightly(data, night_as_of - dt.timedelta(days=1), logs / "one_source.log")
    nights["one_source"] = (night_as_of - dt.timedelta(days=1),
                            _landing_copy(landing, folder / "landing-one-source", verify),
                            _keep_published(data, folder / "one_source.duckdb", verify))
    for path in delivered:
        _move_file(path, landing, night)
    shutil.rmtree(data)
    before.rename(data)
    delivered_all = len(deliver(night, landing))
    print(f"[{contacts:,} contacts] incremental night ({delivered_all} new files) ...", flush=True)
    incremental = nightly(data, night_as_of, logs / "incremental.log")
    nights["incremental"] = (night_as_of, _landing_copy(landing, folder / "landing-incremental", verify),
                             data / "published" / "bromsgrove.duckdb")
    result = {"contacts": contacts, "record_rows": history_rows, "night_files": night_files,
              "quiet_seconds": quiet["seconds"],
              "one_source_share_of_full": round(one_source["seconds"] / full["seconds"], 3),
              "incremental_share_of_full": round(incremental["seconds"] / full["seconds"], 3),
              "ratio_full_to_floor": round(full["seconds"] / floor["seconds"], 2),
              "generate": generate, "floor": floor, "full": full, "quiet": quiet, "one_source": one_source,
              "incremental": incremental}
    if verify:  # each night's published copy against a full rebuild from the same files on the same night
        result["verify"] = {}
        for kind, (as_of, landing_then, published_then) in nights.items():
            print(f"[{contacts:,} contacts] full rebuild to verify the {kind} night ...", flush=True)
            rebuild = folder / f"rebuild-{kind}"
            rebuild.mkdir()
            landing_then.rename(rebuild / "landing")
            rebuilt = nightly(rebuild, as_of, logs / f"rebuild-{kind}.log")
            result["verify"][kind] = {"rebuild_seconds": rebuilt["seconds"], **same_measure_values(
                published_then, rebuild / "published" / "bromsgrove.duckdb")}
            shutil.rmtree(rebuild)
        result["every_night_equals_rebuild"] = all(v["equal"] for v in result["verify"].values())
    return result


def bench_sample(work: Path, end_month: dt.date) -> dict:
    """`make run` after install: the command it runs (`pipelines.cli run --sample`: the bundled sample generated,
    the nightly job into an empty warehouse, then the outputs with PDFs), in a fresh folder; then the next night,
    which is quiet."""
    as_of = month_day(end_month, 1, 2)  # the sample's last month is end_month, judged on the 2nd of the next
    folder = work / "sample"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "logs").mkdir(parents=True)
    env = {**pipeline_env(folder / "data", as_of), "BDC_SAMPLE_END_MONTH": f"{end_month:%Y-%m}"}
    env.pop("BDC_PSEUDONYM_KEY", None)  # the bundled sample uses the public development key, as make run does
    command = [sys.executable, "-m", "pipelines.cli", "run", "--sample"]
    print("[sample] make run's command, after install ...", flush=True)
    first = measured(command, env, folder / "logs" / "make_run.log")
    text = (folder / "logs" / "make_run.log").read_text(errors="replace")
    job, outputs = JOB_SECONDS.search(text), re.search(r"Outputs built in ([0-9.]+) s", text)
    if not job or job[1] != "SUCCEEDED" or not outputs:
        raise RuntimeError(f"make run's command did not succeed; see {folder / 'logs' / 'make_run.log'}")
    print("[sample] the next night (quiet) ...", flush=True)
    env["BDC_AS_OF"] = (as_of + dt.timedelta(days=1)).isoformat()
    quiet = measured(command, env, folder / "logs" / "quiet.log")
    if not QUIET_SECONDS.search((folder / "logs" / "quiet.log").read_text(errors="replace")):
        raise RuntimeError(f"the sample's next night was not quiet; see {folder / 'logs' / 'quiet.log'}")
    shutil.rmtree(folder / "data", ignore_errors=True)
    return {"make_run": {**first, "job_seconds": float(job[2]), "outputs_seconds": float(outputs[1])},
            "quiet_night": quiet}


def _landing_copy(landing: Path, target: Path, wanted: bool) -> Path | None:
    """A copy of the landing folders as they are tonight, for the rebuild that verifies the night."""
    if wanted:
        shutil.copytree(landing, target)
    return target if wanted else None


def _keep_published(data: Path, target: Path, wanted: bool) -> Path | None:
    if wanted:
        shutil.copyfile(data / "published" / "bromsgrove.duckdb", target)
    return target if wanted else None


def _move_file(path: Path, source_root: Path, target_root: Path) -> Path:
    target = target_root / path.relative_to(source_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(path, target))


def _landing_rows(log: Path) -> int:
    rows = re.search(r"([0-9,]+) record rows", log.read_text())
    return int(rows[1].replace(",", "")) if rows else 0


def table(results: list[dict]) -> str:
    head = (f"{'contacts':>11} {'record rows':>12} | {'floor s':>8} | {'full s':>8} {'MiB':>6} {'x floor':>8} | "
            f"{'quiet s':>8} | {'1-src s':>8} {'% full':>7} | {'night s':>8} {'MiB':>6} {'% full':>7}")
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r['contacts']:>11,} {r['record_rows']:>12,} | {r['floor']['seconds']:>8.1f} | "
                     f"{r['full']['seconds']:>8.1f} {r['full']['peak_mib']:>6} {r['ratio_full_to_floor']:>8.2f} | "
                     f"{r['quiet_seconds']:>8.1f} | {r['one_source']['seconds']:>8.1f} "
                     f"{100 * r['one_source_share_of_full']:>6.1f}% | {r['incremental']['seconds']:>8.1f} "
                     f"{r['incremental']['peak_mib']:>6} {100 * r['incremental_share_of_full']:>6.1f}%")
    return "\n".join(lines)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)),
                        help="comma-separated contact rows, e.g. 100000,1000000 (underscores allowed)")
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench",
                        help="working folder for generated files and warehouses (default data/bench)")
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench" / "speed.json", help="result file")
    parser.add_argument("--end-month", default=DEFAULT_END_MONTH, help="last month generated, held back as the night")
    parser.add_argument("--verify", action="store_true",
                        help="also rebuild from all files and check the incremental result equals it")
    parser.add_argument("--keep", action="store_true", help="keep each scale's files and warehouses")
    parser.add_argument("--no-sample", action="store_true", help="skip the bundled sample's `make run`")
    args = parser.parse_args()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    end_month = dt.datetime.strptime(args.end_month, "%Y-%m").date()
    report = {"commit": _commit(), "started": dt.datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                          "python": platform.python_version(), "platform": platform.platform()},
              "end_month": args.end_month, "results": []}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    if not args.no_sample:
        report["sample"] = bench_sample(args.work, end_month)
        args.json.write_text(json.dumps(report, indent=2))
    for contacts in scales:
        report["results"].append(bench_scale(contacts, args.work, end_month, args.verify))
        args.json.write_text(json.dumps(report, indent=2))  # after every scale: a later failure loses nothing
        if not args.keep:
            shutil.rmtree(args.work / f"contacts-{contacts}", ignore_errors=True)
    print()
    if "sample" in report:
        print(f"sample: make run {report['sample']['make_run']['seconds']:.1f} s "
              f"(nightly job {report['sample']['make_run']['job_seconds']:.1f} s, outputs "
              f"{report['sample']['make_run']['outputs_seconds']:.1f} s); next night (quiet) "
              f"{report['sample']['quiet_night']['seconds']:.1f} s")
    print(table(report["results"]))
    print(f"\nJSON: {args.json}")


if __name__ == "__main__":
    main()
