"""The read side of every output: the published warehouse opened read-only, with small-count suppression
defined once.

Suppression (DESIGN.md section 6, data protection): below the whole district, a figure is suppressed when any
count behind it (the value of a count measure, its numerator, its denominator, or the number of records it
summarises) is between 1 and 4, so no individual can be identified. Zero is shown: it identifies nobody.
Council-wide figures are shown in full. A suppressed figure keeps its row, with `suppressed` true and the value
blank, so users can see that something was withheld. When one area of a locality (or one locality of the
district) is suppressed, the smallest other one is too, so it cannot be worked out by subtraction.

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

PUBLIC_SUPPRESS_BELOW = 5  # counts of 1 to 4 are suppressed
SUPPRESSION_NOTE = ("Figures based on 1 to 4 people, cases or records are suppressed below district level "
                    "(shown as [c]), with one more figure where the first could be worked out from the total, so "
                    "that no individual can be identified.")

# Columns that would carry personal data. No output may contain one (tests walk every file for them).
PERSONAL_DATA_COLUMNS = frozenset({
    "uprn", "name", "forename", "surname", "address", "postcode", "phone", "email", "date_of_birth", "dob",
    "case_reference", "case_key", "contact_key", "claim_reference", "application_reference", "crime_id", "notes",
    "latitude", "longitude", "owner_email", "commentary_file", "sign_off_file", "_source_file",
})

SUPPRESSION_SQL = """
CREATE OR REPLACE TEMP MACRO small_count(v, below) AS coalesce(v >= 1 AND v < below, false);
CREATE OR REPLACE TEMP MACRO is_suppressed(area_type, unit, value, numerator, denominator, observations, below) AS
    area_type <> 'district' AND (
        (unit = 'count' AND small_count(value, below)) OR small_count(numerator, below)
        OR small_count(denominator, below) OR small_count(observations, below));
"""

# Every measure value with its suppression applied: what the site, open data and partner packs draw from.
# Materialised once per connection (a temp table), because every dataset and pack file reads it.
# Secondary suppression: areas of one parent (the wards of a locality, the localities of the district) add up
# to the parent's published total, so when exactly one of them is suppressed, the smallest other one is too;
# otherwise the suppressed figure could be worked out by subtraction.
VALUES_SQL = """
CREATE OR REPLACE TEMP TABLE suppressed_values AS
WITH judged AS (
    SELECT v.*, m.title AS measure_title, m.unit, m.is_public, coalesce(a.area_name, v.area_code) AS area_name,
           a.parent_code,
           is_suppressed(v.area_type, m.unit, v.value, v.numerator, v.denominator, v.observations,
                         getvariable('suppress_below')) AS primary_suppressed
    FROM marts.measure_values v
    JOIN core.dim_measure m USING (measure_id)
    LEFT JOIN core.dim_area a USING (area_type, area_code)
    WHERE v.period_end < getvariable('as_of')
), siblings AS (
    SELECT *,
           count(*) FILTER (WHERE primary_suppressed) OVER family AS suppressed_siblings,
           row_number() OVER (family ORDER BY primary_suppressed, coalesce(observations, numerator, value),
                              area_code) AS smallest_first
    FROM judged
    WINDOW family AS (PARTITION BY measure_id, period_start, area_type, parent_code)
)
SELECT measure_id, measure_title, unit, area_type, area_code, area_name, period_start, period_end,
       primary_suppressed OR (area_type <> 'district' AND parent_code IS NOT NULL AND suppressed_siblings = 1
                              AND NOT primary_suppressed AND smallest_first = 1) AS suppressed,
       CASE WHEN NOT suppressed THEN value END AS value,
       CASE WHEN NOT suppressed THEN numerator END AS numerator,
       CASE WHEN NOT suppressed THEN denominator END AS denominator,
       is_public
FROM siblings
"""


class NotPublishedError(RuntimeError):
    """There is no published warehouse to build outputs from."""


@contextmanager
def open_published(path: Path, suppress_below: int = PUBLIC_SUPPRESS_BELOW,
                   as_of: dt.date | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse, read-only (a read-only database still allows temp tables), with temp table
    `suppressed_values`: the periods ended before `as_of` (default all), suppressed below `suppress_below`."""
    if not path.exists():
        raise NotPublishedError(f"No published warehouse at {path}: run the nightly job first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET VARIABLE suppress_below = ?", [suppress_below])
        con.execute("SET VARIABLE as_of = ?::DATE", [as_of or dt.date.max])
        con.execute(SUPPRESSION_SQL)
        con.execute(VALUES_SQL)
        yield con
    finally:
        con.close()


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
