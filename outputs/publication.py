"""The read side of every output: the published warehouse opened read-only, with small-count suppression
defined once.

Suppression (DESIGN.md section 6, data protection) is worked out each night by warehouse/disclosure.py into
`marts.disclosed_values`, one pattern per threshold, frozen once published: the outputs only read it. Below the
whole district a figure resting on 1 to 4 people, cases or records is withheld (with its complement and 0 % /
100 % of small groups), with partners chosen so that no withheld figure can be worked out by subtraction.
Council-wide figures are shown in full; a withheld figure keeps its row, with `suppressed` true and the value blank.

A period still in progress (ending on or after the day the outputs are built for) is left out of the public and
partner outputs until it has ended: a half month's figure would mislead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse import clock
from warehouse.council import load_council
from warehouse.lake import read_citation

SUPPRESSION_NOTE = ("Figures based on 1 to 4 people, cases or records are suppressed below district level "
                    "(shown as [c]), as are percentages where the rest of the group is 1 to 4, or that are 0% or "
                    "100% of fewer than 10; and, where one could be worked out from a total, one more figure, so "
                    "that no individual can be identified. A figure once withheld stays withheld.")

# Columns that would carry personal data. No output may contain one (tests walk every file for them).
PERSONAL_DATA_COLUMNS = frozenset({
    "uprn", "name", "forename", "surname", "address", "postcode", "phone", "email", "date_of_birth", "dob",
    "case_reference", "case_key", "contact_key", "claim_reference", "application_reference", "crime_id", "notes",
    "latitude", "longitude", "owner_email", "commentary_file", "sign_off_file", "_source_file",
})

# Census counts of residents (outputs/site.py) are judged with this macro.
SUPPRESSION_SQL = """
CREATE OR REPLACE TEMP MACRO small_count(v, below) AS coalesce(v >= 1 AND v < below, false);
"""

# Every measure value with the night's suppression pattern for this threshold (marts.disclosed_values: zero
# areas included, withheld values blank): what the site, open data and partner packs draw from.
VALUES_SQL = """
CREATE OR REPLACE TEMP TABLE suppressed_values AS
SELECT d.measure_id, m.title AS measure_title, m.unit, d.area_type, d.area_code,
       coalesce(a.area_name, d.area_code) AS area_name, d.period_start, d.period_end, d.suppressed, d.value,
       d.numerator, d.denominator, m.is_public
FROM marts.disclosed_values d
JOIN core.dim_measure m USING (measure_id)
LEFT JOIN core.dim_area a USING (area_type, area_code)
WHERE d.suppress_below = getvariable('suppress_below') AND d.period_end < getvariable('as_of')
"""


class NotPublishedError(RuntimeError):
    """There is no published warehouse to build outputs from."""


@contextmanager
def open_published(path: Path, suppress_below: int | None = None,
                   as_of: dt.date | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse, read-only (a read-only database still allows temp tables), with temp table
    `suppressed_values`: the periods ended before `as_of` (default all), suppressed below `suppress_below`
    (default the council's public threshold: its profile's `thresholds.public_suppress_below`, at least 5)."""
    if suppress_below is None:
        suppress_below = load_council().thresholds.public_suppress_below
    if not path.exists():
        raise NotPublishedError(f"No published warehouse at {path}: run the nightly job first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET VARIABLE suppress_below = ?", [suppress_below])
        con.execute("SET VARIABLE as_of = ?::DATE", [as_of or dt.date.max])
        run_id = con.execute("SELECT max_by(run_id, published_at) FROM marts.publish_info").fetchone()[0]
        con.execute("SET VARIABLE lake_citation = ?", [read_citation(path, run_id)])
        con.execute(SUPPRESSION_SQL)
        _require_pattern(con, path, suppress_below)
        con.execute(VALUES_SQL)
        yield con
    finally:
        con.close()


def _require_pattern(con: duckdb.DuckDBPyConnection, path: Path, suppress_below: int) -> None:
    """The night's suppression pattern for this threshold must exist: outputs never suppress on their own."""
    computed = [b for (b,) in con.execute("SELECT DISTINCT suppress_below FROM marts.disclosed_values ORDER BY 1")
                .fetchall()] if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' "
                                            "AND table_name = 'disclosed_values'").fetchone()[0] else []
    if suppress_below not in computed:
        raise NotPublishedError(
            f"{path} has no suppression pattern for a threshold of {suppress_below} (it has {computed}): run the "
            "nightly job after changing warehouse/catalogue/sharing_agreements.yaml")


def lake_citation(con: duckdb.DuckDBPyConnection) -> str | None:
    """The lake snapshot this copy was committed as ("lake snapshot 42 (redditch, night 2026-12-04)"), when the
    deployment publishes to a lake (warehouse/lake.py); None otherwise."""
    return con.execute("SELECT getvariable('lake_citation')").fetchone()[0]


def published_at(con: duckdb.DuckDBPyConnection) -> dt.datetime:
    """When this copy of the warehouse was published (the outputs' "last updated")."""
    row = con.execute("SELECT max(published_at) FROM marts.publish_info").fetchone()
    return row[0] if row and row[0] else clock.timestamp()


def format_value(value: float | None, unit: str) -> str:
    """A measure value as Members and the public read it: '63.2%', '12.4 days', '1,234'."""
    if value is None:
        return "[c]"
    if unit == "percent":
        return f"{value:,.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    number = f"{value:,.1f}"
    return f"{number} {unit}" if unit.startswith(("day", "per ")) else f"{number} ({unit})"
