"""The bundled sample: deterministic landing files in the formats Bromsgrove really receives."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sources.contract import SourceContract
from sources.sample.canaries import plant
from sources.sample.geography import Geography
from warehouse import clock
from warehouse.reporting_periods import add_months  # noqa: F401 - the sources' generators import it from here
from warehouse.settings import SAMPLE_MARKER, landing_manifest

log = logging.getLogger(__name__)
SEED = 2016
MONTHS = 36
MARKER = SAMPLE_MARKER  # written beside the sample: it runs with the public development pseudonymisation key


def last_full_month(as_of: dt.date | None = None) -> dt.date:
    """The last month that has ended by `as_of` (default: the night's, from the one clock)."""
    as_of = as_of or clock.as_of()
    return (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def parse_month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise ValueError(f"end month must look like 2026-10, got {text!r}") from exc


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


DEFAULT_DUE_DAY = 5


@dataclass
class SampleContext:
    """What every source generator needs: the months, the geography, a seeded RNG per source, and the day
    each extract is written (nothing in an extract is dated on or after that day: a case still open then
    stays open in that extract)."""

    landing_dir: Path
    end_month: dt.date
    months_count: int = MONTHS
    geography: Geography = field(default_factory=Geography)
    written_on: dt.date = field(default_factory=clock.as_of)  # the day the sample is made
    extract_days: dict[tuple[str, dt.date], dt.date] = field(default_factory=dict)  # (source, month) -> day
    only_months: frozenset[dt.date] | None = None  # write only these months' monthly files (the simulation)

    def extract_day(self, contract: SourceContract, month: dt.date) -> dt.date:
        """The day `month`'s extract of `contract` is written: as given in `extract_days` (the simulation's
        delivery calendar), else its due day the month after, or the day the sample is made if that is sooner."""
        if (contract.name, month) in self.extract_days:
            return self.extract_days[(contract.name, month)]
        due = add_months(month, 1).replace(day=min(contract.cadence.due_day or DEFAULT_DUE_DAY, 28))
        return min(due, self.written_on)

    def cutoff(self, contract: SourceContract, month: dt.date) -> dt.datetime:
        """The moment `month`'s extract is taken (the start of the day it is written): nothing in it happened
        on or after this."""
        day = self.extract_day(contract, month)
        return dt.datetime(day.year, day.month, day.day)

    @property
    def months(self) -> list[dt.date]:
        return [add_months(self.end_month, -k) for k in range(self.months_count - 1, -1, -1)]

    def index_of(self, month: dt.date) -> int:
        """The month's place in the sample (0 for the first month; past the end for a later month)."""
        first = self.months[0]
        return (month.year - first.year) * 12 + month.month - first.month

    @property
    def monthly_files(self) -> list[tuple[int, dt.date]]:
        """(index, month) of each monthly file to write: every sample month, or only `only_months` (which may
        lie after the sample's end: the simulation's later deliveries, generated as the sample continues)."""
        months = sorted(self.only_months) if self.only_months is not None else self.months
        return [(self.index_of(month), month) for month in months]

    def rng(self, source: str, *parts: object) -> random.Random:
        """A generator-private RNG: each source/month draws the same numbers whatever else changes."""
        key = "|".join(map(str, (SEED, source, *parts)))
        return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))

    def folder(self, source: str) -> Path:
        path = self.landing_dir / source
        path.mkdir(parents=True, exist_ok=True)
        return path

    def random_time(self, rng: random.Random, month: dt.date, office_hours: bool = True) -> dt.datetime:
        day = rng.randint(1, month_end(month).day)
        hour = rng.randint(8, 17) if office_hours else rng.randint(0, 23)
        return dt.datetime(month.year, month.month, day, hour, rng.randint(0, 59), rng.randint(0, 59))


def write_marker(landing_dir: Path, info: dict) -> None:
    """The marker of a generated sample: `info` and the manifest (path -> size) of every file the generator left
    in `landing_dir`. Only a folder whose files are all in it runs without BDC_PSEUDONYM_KEY."""
    marker = landing_dir / MARKER
    marker.write_text(json.dumps({**info, "manifest": landing_manifest(landing_dir)}))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8",
              bom: bool = False) -> Path:
    """CSV as council systems export it (CRLF line ends, minimal quoting)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=("utf-8-sig" if bom else encoding), newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               sheet: str = "Sheet1") -> Path:
    """XLSX with a title and 'run at' row above the header, as report writers produce. Dates are real
    Excel date cells. Document properties are fixed so the same content gives the same bytes (and hash)."""
    import xlsxwriter  # only the generator needs it

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": dt.datetime(2016, 1, 1), "author": "Report writer"})
    date_fmt = workbook.add_format({"num_format": "dd/mm/yyyy"})
    bold = workbook.add_format({"bold": True})
    ws = workbook.add_worksheet(sheet)
    ws.write(0, 0, title, bold)
    ws.write(1, 0, "Produced by the system's report writer. OFFICIAL-SENSITIVE.")
    ws.write_row(3, 0, header, bold)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime | dt.date):
                ws.write_datetime(r, c, value if isinstance(value, dt.datetime)
                                  else dt.datetime(value.year, value.month, value.day), date_fmt)
            elif value is None or value == "":
                continue
            else:
                ws.write(r, c, value)
    workbook.close()
    return path


def write_delivery(ctx: SampleContext, contract: SourceContract, name: str, rows: Iterable[Sequence[object]],
                   title: str = "", bom: bool = False) -> Path:
    """Write one landing file of `contract` in its declared format, encoding and sheet."""
    path = ctx.folder(contract.name) / name
    rows = plant(contract, rows)  # canaries in the first record's personal columns (sources/sample/canaries.py)
    if contract.format == "xlsx":
        return write_xlsx(path, title, contract.header, rows, sheet=contract.sheet or "Sheet1")
    return write_csv(path, contract.header, rows, encoding=contract.encoding, bom=bom)


def monthly_deliveries(ctx: SampleContext, contract: SourceContract, name: str,
                       rows_for_month: Callable[[random.Random, dt.date, int], Iterable[Sequence[object]]],
                       title: str = "", bom: bool = False) -> list[Path]:
    """One file per sample month. `name` and `title` are formatted with the month (e.g. "x_{month:%Y-%m}.csv");
    `rows_for_month(rng, month, index)` gets a seeded RNG private to the source and month."""
    return [write_delivery(ctx, contract, name.format(month=month),
                           rows_for_month(ctx.rng(contract.name, month), month, index),
                           title=title.format(month=month), bom=bom)
            for index, month in ctx.monthly_files]
