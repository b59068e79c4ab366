"""Time landing-sensor ticks with N files in a landing folder (default 100 CRM monthly files).

    .venv/bin/python bench/sensor_tick.py [--files 100]

Tick 1 sees every file for the first time (lists and stats them: nothing is stable yet); tick 2 finds them
stable, hashes them and checks the warehouse read-only, and requests a run; tick 3 is a quiet tick after the
run request (nothing changed). Runs against a temporary data folder; prints seconds per tick.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        import dagster as dg

        from pipelines.definitions import LANDING_SENSORS
        from sources.crm_contacts import CONTRACT
        from warehouse.settings import SettingsResource

        folder = Path(tmp) / "landing" / "crm_contacts"
        folder.mkdir(parents=True)
        header = ",".join(CONTRACT.header)
        row = "C{n},05/01/2026 09:15,,Phone,Waste,Value,Apply,Y,1001,A B,07700 900123,"
        for index in range(args.files):
            year, month = 2000 + index // 12, index % 12 + 1
            lines = [header] + [row.format(n=f"{index}-{n}") for n in range(2400)]  # a month's contacts
            (folder / f"crm_contacts_{year}-{month:02d}.csv").write_text("\r\n".join(lines), encoding="cp1252")
        sensor = next(s for s in LANDING_SENSORS if s.name == "crm_contacts_landing")
        instance = dg.DagsterInstance.ephemeral()
        cursor = None
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"{args.files} files, {size:.1f} MiB in {folder}")
        for tick in (1, 2, 3):
            with dg.build_sensor_context(instance=instance, cursor=cursor,
                                         resources={"settings": SettingsResource(data_dir=tmp)}) as context:
                started = time.perf_counter()
                result = sensor(context)
                seconds = time.perf_counter() - started
                cursor = context.cursor
            what = type(result).__name__
            print(f"tick {tick}: {seconds * 1000:8.1f} ms  {what}")


if __name__ == "__main__":
    main()
