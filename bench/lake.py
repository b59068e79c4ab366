"""Several councils at scale: each council's night run one after another in single-file mode, then every council's
night at once into one DuckLake (catalog on a local PostgreSQL, data in a folder), with a reader on the lake.

    make bench-lake                                   # 6 councils at 1 M contacts each
    .venv/bin/python bench/lake.py --councils 2 --contacts 100000 --json /tmp/lake.json

Steps, each council's process measured on its own (wall seconds, peak resident memory of its process tree sampled
every 50 ms):
  1. profiles: Bromsgrove and Redditch from councils/, and made-up profiles for the rest (real Worcestershire
     district names and LAD codes, synthetic wards), in the work folder (BDC_COUNCILS_DIR);
  2. generate: each council's scaled sample (`pipelines.cli generate-sample --contacts N`), once, shared by both
     modes through BDC_LANDING_DIR;
  3. single: each council's nightly load (`pipelines.cli run --skip-outputs`), one after another, into its own
     warehouse and published file: no lake;
  4. lake: every council's nightly load at once, each committing its published copy to the lake;
  5. verify: each council's marts.measure_values in the lake equals its single-file published copy's.
Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import yaml
from speed import ROOT, measured, month_day

from pipelines.lake_run import run_councils
from pipelines.local_postgres import local_postgres
from warehouse.lake import LAKE, Lake, connect

BENCH_KEY = "bench-only-pseudonym-key-0123456789abcdef"  # scaled samples are not the bundled one: a key of their own
# The other Worcestershire districts: real names and LAD codes; their wards in these profiles are synthetic.
MADE_UP = {"malvern_hills": ("Malvern Hills", "E07000235"), "worcester": ("Worcester", "E07000237"),
           "wychavon": ("Wychavon", "E07000238"), "wyre_forest": ("Wyre Forest", "E07000239")}


def write_profiles(folder: Path, count: int) -> list[str]:
    """`count` council profiles in `folder`: Bromsgrove, Redditch, then the made-up ones. Returns their ids."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = ["bromsgrove", "redditch"]
    for council in ids:
        shutil.copyfile(ROOT / "councils" / f"{council}.yaml", folder / f"{council}.yaml")
    shutil.copytree(ROOT / "councils" / "agreements", folder / "agreements", dirs_exist_ok=True)
    template = yaml.safe_load((ROOT / "councils" / "redditch.yaml").read_text())
    for k, (council, (name, lad)) in enumerate(MADE_UP.items()):
        wards = {f"{name} {side}": [f"{name} {side} {n}" for n in range(1, 5)] for side in ("North", "Centre", "South")}
        profile = {**template, "id": council, "name": name, "area_name": f"{name} District",
                   "council_name": f"{name} District Council (made up for the benchmark)", "lad_code": lad,
                   "email_domain": f"{council.replace('_', '')}.example", "service_name": f"{name} performance",
                   "sharing_agreements": None,
                   "sample": {**template["sample"], "seed": 3000 + k, "ward_code_base": 16000 + 100 * k,
                              "lsoa_code_base": 33000 + 100 * k, "uprn_base": 100130000000 + k * 10_000_000,
                              "localities": wards, "neighbour_lsoa_base": 34000 + 100 * k,
                              "neighbours": {"E07000234": "Bromsgrove", "E07000236": "Redditch",
                                             "E07000221": "Stratford-on-Avon"},
                              "leisure_sites": {f"{name} Leisure Centre": f"{name} Centre 1",
                                                f"{name} Splash Pad": f"{name} Centre 2"}}}
        (folder / f"{council}.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
        ids.append(council)
    return ids[:count]


def _tree_rss(pid: int) -> int:
    try:
        process = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)] if p.is_running())
    except psutil.Error:
        return 0


class PeakMemory:
    """The largest resident memory of each council's process tree, sampled while they run."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {}

    def __call__(self, running: dict[str, subprocess.Popen]) -> None:
        for council, process in running.items():
            self.peaks[council] = max(self.peaks.get(council, 0), _tree_rss(process.pid))


def folder_mb(paths: list[Path]) -> float:
    return round(sum(p.stat().st_size for folder in paths for p in folder.rglob("*") if p.is_file()) / 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=6, help="how many councils (2 to 6)")
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts per council's scaled sample")
    parser.add_argument("--end-month", default="2026-10")
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench" / "lake")
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench" / "lake.json")
    parser.add_argument("--reuse-generated", action="store_true", help="keep the work folder's generated samples")
    args = parser.parse_args()
    work = args.work.resolve()
    for folder in work.glob("*") if work.exists() else []:
        if not (args.reuse_generated and folder.name == "generated"):
            shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
    (work / "logs").mkdir(parents=True)
    councils = write_profiles(work / "councils", args.councils)
    os.environ["BDC_COUNCILS_DIR"] = str(work / "councils")  # this process checks the ids too (run_councils)
    end_month = dt.datetime.strptime(args.end_month, "%Y-%m").date()
    night = month_day(end_month, 1, 28)  # every file of the samples' last month is due by then (bench/speed.py)
    base = {"BDC_COUNCILS_DIR": str(work / "councils"), "BDC_AS_OF": night.isoformat(),
            "BDC_PSEUDONYM_KEY": BENCH_KEY, "PYTHONFAULTHANDLER": "1"}
    env = {c: {**base, "BDC_LANDING_DIR": str(work / "generated" / c / "landing")} for c in councils}
    result: dict = {"councils": councils, "contacts": args.contacts, "night": night.isoformat(),
                    "machine": {"cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30),
                                "python": platform.python_version(), "duckdb": duckdb.__version__},
                    "generate": {}, "single": {}, "lake": {}}
    for council in councils:
        if args.reuse_generated and (work / "generated" / council / "landing").is_dir():
            continue
        print(f"[{council}] generating {args.contacts:,} contacts ...", flush=True)
        result["generate"][council] = measured(
            [sys.executable, "-m", "pipelines.cli", "generate-sample", "--contacts", str(args.contacts), "--end-month",
             args.end_month], {**os.environ, **{k: v for k, v in base.items() if k != "BDC_AS_OF"},
                               "BDC_COUNCIL": council, "BDC_DATA_DIR": str(work / "generated" / council)},
            work / "logs" / f"gen-{council}.log")
    for council in councils:
        print(f"[{council}] single-file night ...", flush=True)
        folder = work / "single" / council
        (folder / "dagster").mkdir(parents=True)
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("BDC_LAKE_")}
        result["single"][council] = measured(
            [sys.executable, "-m", "pipelines.cli", "run", "--skip-outputs"],
            {**run_env, **env[council], "BDC_COUNCIL": council, "BDC_DATA_DIR": str(folder),
             "DAGSTER_HOME": str(folder / "dagster")}, work / "logs" / f"single-{council}.log")
        result["single"][council]["published_mb"] = round(
            (folder / "published" / f"{council}.duckdb").stat().st_size / 1e6, 1)
    print(f"All {len(councils)} councils at once into the lake ...", flush=True)
    with local_postgres(work / "postgres") as server:
        lake = Lake(catalog=server.create_database("ducklake"), data_path=str(work / "lake-data"))
        started, memory = time.monotonic(), PeakMemory()
        nights, reader = run_councils(councils, work / "lake", lake, night, ["--skip-outputs"],
                                      env_for=env.get, while_running=memory)
        result["lake_wall_seconds"] = round(time.monotonic() - started, 1)
        result["reader"] = {"queries": reader.queries, "errors": reader.errors[:5]}
        result["lake"] = {n.council: {"seconds": round(n.seconds, 1), "returncode": n.returncode,
                                      "peak_mib": round(memory.peaks.get(n.council, 0) / 2**20),
                                      "lake_mb": round(n.lake_bytes / 1e6, 1),
                                      "measure_values_rows": n.measure_values} for n in nights}
        con = connect(lake, read_only=True)
        for council in councils:
            published = work / "single" / council / "published" / f"{council}.duckdb"
            con.execute(f"ATTACH '{published}' AS single_{council} (READ_ONLY)")
            differing = con.execute(
                f"SELECT count(*) FROM ((FROM {LAKE}.{council}_marts.measure_values EXCEPT ALL "
                f"FROM single_{council}.marts.measure_values) UNION ALL (FROM single_{council}.marts.measure_values "
                f"EXCEPT ALL FROM {LAKE}.{council}_marts.measure_values))").fetchone()[0]
            result["lake"][council]["differs_from_single_file"] = differing
        con.close()
        result["catalog_mb"] = folder_mb([work / "postgres" / "data"])
    result["single_wall_seconds"] = round(sum(r["seconds"] for r in result["single"].values()), 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str))
    print(table(result))
    print(f"JSON: {args.json}")


def table(result: dict) -> str:
    lines = ["| council | single-file s | single MiB | published MB | lake s (all at once) | lake MiB | lake MB | "
             "measure_values rows | equal |", "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for council in result["councils"]:
        single, lake = result["single"][council], result["lake"][council]
        equal = lake["differs_from_single_file"] == 0 and lake["returncode"] == 0
        lines.append(f"| {council} | {single['seconds']} | {single['peak_mib']:,} | {single['published_mb']} | "
                     f"{lake['seconds']} | {lake['peak_mib']:,} | {lake['lake_mb']} | "
                     f"{lake['measure_values_rows']:,} | {'yes' if equal else 'NO'} |")
    peaks = sum(r["peak_mib"] for r in result["lake"].values())
    lines.append(f"| **all** | **{result['single_wall_seconds']}** (one after another) | | | "
                 f"**{result['lake_wall_seconds']}** (at once) | {peaks:,} "
                 f"(sum of peaks) | {sum(r['lake_mb'] for r in result['lake'].values()):.1f} (+ catalog "
                 f"{result['catalog_mb']}) | | |")
    lines.append(f"Reader: {result['reader']['queries']} queries during the lake run, "
                 f"{len(result['reader']['errors'])} errors")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
