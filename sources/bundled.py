"""The bundled sample: every registered source's generator writing its files into a landing folder.

Here, not in `sources.sample` (the generators' shared helpers), because it reads the registry of sources,
which imports every source's generator: the helpers must not import their users back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from sources import ALL_SOURCES
from sources.sample import MARKER, SEED, SampleContext, add_months, last_full_month, write_marker
from warehouse import clock

log = logging.getLogger(__name__)


def generate_sample(landing_dir: Path, end_month: dt.date | None = None, force: bool = False,
                    written_on: dt.date | None = None) -> list[Path]:
    """Write the bundled sample into `landing_dir` (one folder per source), as extracted on `written_on`
    (default: the night's as_of). Returns the files written. The same end month and day give the same bytes.

    Skips the work when a sample with the same end month is already there, unless `force`."""
    written_on = written_on or clock.as_of()
    end_month = end_month or last_full_month(written_on)
    if add_months(end_month, 1) > written_on:
        raise ValueError(f"the sample's last month, {end_month:%Y-%m}, has not ended on {written_on}: choose "
                         f"{last_full_month(written_on):%Y-%m} or earlier")
    marker = landing_dir / MARKER
    if marker.exists() and not force:
        existing = json.loads(marker.read_text())
        if existing.get("end_month") == end_month.isoformat()[:7] and "manifest" in existing:
            log.info("bundled sample already in %s (end month %s)", landing_dir, existing["end_month"])
            return []
    ctx = SampleContext(landing_dir=landing_dir, end_month=end_month, written_on=written_on)
    written: list[Path] = []
    for source in ALL_SOURCES:
        files = source.generate(ctx)
        log.info("sample: %s -> %d files", source.CONTRACT.name, len(files))
        written += files
    landing_dir.mkdir(parents=True, exist_ok=True)
    write_marker(landing_dir, {"end_month": end_month.isoformat()[:7], "seed": SEED, "files": len(written)})
    return written
