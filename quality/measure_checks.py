"""The six criteria applied to one measure (run in its asset, right after measures.<id> is built)."""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics

import duckdb

from quality.completeness import delivered_periods
from quality.lineage import readers
from quality.outcome import Outcome, sample_rows, verdict
from quality.verify import mismatches_sql, traced_sql
from warehouse import clock
from warehouse.catalogue import Measure, catalogue
from warehouse.db import table_exists
from warehouse.models import referenced_tables

MIN_DEFINITION_WORDS = 8
LEVEL_DASHBOARD = {"strategic": "marts.dashboard_strategic", "operational": "marts.dashboard_operational"}


def judge_measure(con: duckdb.DuckDBPyConnection, measure: Measure, as_of: dt.date, run_id: str) -> list[Outcome]:
    """The criteria judged when the measure is built, in the order relevant, well_defined, reliable,
    verifiable, accurate. Timeliness is judged every night (assets/timeliness.py)."""
    return [relevant(measure), well_defined(con, measure), reliable(con, measure, run_id), verifiable(con, measure),
            accurate(con, measure, as_of)]


def _verdict(measure: Measure, criterion: str, **kwargs: object) -> Outcome:
    return verdict("measure", measure.id, criterion, measure.owner_email, title=measure.title, **kwargs)


def definition_hash(measure: Measure) -> str:
    """First 12 hex digits of the SHA-256 of the measure's SQL, ignoring layout."""
    return hashlib.sha256(" ".join(measure.sql.split()).encode()).hexdigest()[:12]


def relevant(measure: Measure) -> Outcome:
    """Linked to a purpose that exists, shown on a dashboard, and every declared source table is used (and
    every table used is declared)."""
    errors, warnings = [], []
    if measure.purpose not in catalogue().purposes:
        errors.append(f"Purpose {measure.purpose!r} is not one of the council's purposes.")
    dashboard = LEVEL_DASHBOARD.get(measure.level)
    if dashboard is None or dashboard not in readers().get("marts.measure_values", set()):
        errors.append(f"No dashboard shows {measure.level} measures.")
    used = set(referenced_tables(measure.sql))
    declared = set(measure.source_tables)
    if declared - used:
        warnings.append(f"source_tables lists {sorted(declared - used)} but the SQL does not read them.")
    if used - declared:
        warnings.append(f"The SQL reads {sorted(used - declared)} but source_tables does not list them.")
    return _verdict(measure, "relevant", errors=errors, warnings=warnings,
                    ok=f"Serves purpose '{catalogue().purposes[measure.purpose].title}' on the {measure.level} "
                       f"dashboard." if not errors else "")


def well_defined(con: duckdb.DuckDBPyConnection, measure: Measure) -> Outcome:
    """The catalogue entry is complete and the values it produced use only known areas and types."""
    errors = []
    if len(measure.definition.split()) < MIN_DEFINITION_WORDS:
        errors.append(f"The definition has fewer than {MIN_DEFINITION_WORDS} words: say what is counted.")
    if measure.aggregation in ("ratio", "per_population") and not measure.denominator:
        errors.append("A rate or percentage needs its denominator described.")
    if "@" not in measure.owner_email:
        errors.append(f"Owner email {measure.owner_email!r} is not an address.")
    unknown = sample_rows(con, f"""
        SELECT DISTINCT v.area_type, v.area_code FROM measures.{measure.id} v
        WHERE NOT EXISTS (SELECT 1 FROM core.dim_area a WHERE a.area_type = v.area_type AND a.area_code = v.area_code)
          AND NOT EXISTS (SELECT 1 FROM core.dim_team t WHERE v.area_type = 'team' AND t.team_id = v.area_code)""")
    if unknown:
        errors.append(f"Values for areas the warehouse does not know: {unknown}.")
    return _verdict(measure, "well_defined", errors=errors, warnings=[], sample=unknown,
                    ok=f"Definition, unit ({measure.unit}), {measure.aggregation} aggregation, owner and sources "
                       f"are all stated.")


def _district_series(con: duckdb.DuckDBPyConnection, measure: Measure) -> list[tuple]:
    """(period start, end, value, observations) council-wide, oldest first; none when it was never built."""
    built = table_exists(con, f"measures.{measure.id}")
    return con.execute(f"""SELECT period_start, period_end, value, observations FROM measures.{measure.id}
                           WHERE area_type = 'district' ORDER BY period_start""").fetchall() if built else []


def timely(con: duckdb.DuckDBPyConnection, measure: Measure, as_of: dt.date) -> Outcome:
    """The latest period ended no more than `max_lag_days` ago (fail after a further `grace_days`), and no
    period is missing from the series."""
    rules = measure.quality
    series = _district_series(con, measure)
    if not series:
        return _verdict(measure, "timely", errors=["There are no values yet: its sources delivered nothing usable."],
                        warnings=[], ok="")
    latest_start, latest_end = series[-1][0], series[-1][1]
    lag = (as_of - latest_end).days
    due = latest_end + dt.timedelta(days=rules.max_lag_days)  # a newer value was due by then
    errors, warnings = [], []
    # The words change when the verdict does, not every day (reports and the site redraw only what changed).
    if lag > rules.max_lag_days:
        message = (f"The latest value is for the period ending {latest_end:%d %B %Y}; a newer one was due by "
                   f"{due:%d %B %Y} (allowed: {rules.max_lag_days} days after a period ends).")
        (errors if lag > rules.max_lag_days + rules.grace_days else warnings).append(message)
    starts = [row[0] for row in series]
    missing = con.execute(f"""SELECT count(*) FROM range(?::DATE, ?::DATE, INTERVAL 1 {_unit(measure)}) r(p)
                              WHERE p::DATE NOT IN (SELECT unnest(?::DATE[]))""",
                          [starts[0], latest_start, starts]).fetchone()[0]
    if missing and not rules.allow_gaps:
        warnings.append(f"{missing} period(s) between {starts[0]:%B %Y} and {latest_start:%B %Y} have no value.")
    return _verdict(measure, "timely", errors=errors, warnings=warnings, period=latest_start, rows_failed=missing,
                    ok=f"Latest value is for {latest_start:%B %Y}; the next is due by {due:%d %B %Y}.")


def _unit(measure: Measure) -> str:
    return {"monthly": "MONTH", "quarterly": "QUARTER", "annual": "YEAR"}[measure.frequency]


def reliable(con: duckdb.DuckDBPyConnection, measure: Measure, run_id: str) -> Outcome:
    """The latest delivered period's volume is in line with history (a month not yet delivered by every source
    is not judged: its few records are not a fault), and the definition has not changed mid-series unless a
    rebase was recorded in the catalogue."""
    rules = measure.quality
    warnings: list[str] = []
    series = _district_series(con, measure)
    delivered = delivered_periods(con, measure.id, [row[1] for row in series]) if series else []
    series = [row for row, whole in zip(series, delivered, strict=True) if whole]
    period = series[-1][0] if series else None
    history = [row[3] for row in series[-1 - rules.history_periods:-1]]
    if len(history) >= 3:
        usual, latest = statistics.median(history), series[-1][3]
        if usual >= rules.min_volume and abs(latest - usual) > rules.volume_tolerance * usual:
            warnings.append(f"{period:%B %Y} rests on {latest} records; usually about {usual:.0f} "
                            f"(more than {rules.volume_tolerance:.0%} different).")
    warnings += _definition_changes(con, measure, run_id)
    return _verdict(measure, "reliable", errors=[], warnings=warnings, period=period,
                    ok="Volumes in line with history; definition unchanged.")


def _definition_changes(con: duckdb.DuckDBPyConnection, measure: Measure, run_id: str) -> list[str]:
    """Record the definition the first time it is seen; a changed one is accepted only with a rebase."""
    current = definition_hash(measure)
    known = dict(con.execute("""SELECT definition, first_seen_at FROM audit.measure_definitions
                                WHERE measure_id = ?""", [measure.id]).fetchall())
    if current in known:
        return []
    rebase = next((r for r in measure.rebases if r.definition == current), None)
    if known and rebase is None:
        return [f"The measure's SQL changed (definition {current}) without a recorded rebase, so the series "
                f"mixes two definitions. If the change is intended, add to the catalogue: rebases: - {{from: "
                f"YYYY-MM-DD, definition: {current}, reason: ...}}."]
    con.execute("INSERT INTO audit.measure_definitions VALUES (?, ?, ?, ?, ?)",
                [measure.id, current, clock.timestamp(), run_id, rebase.reason if rebase else None])
    return []


def verifiable(con: duckdb.DuckDBPyConnection, measure: Measure) -> Outcome:
    """Every value recomputed from the raw rows it came from (quality/verify.py) equals the one built."""
    sql, untraced = traced_sql(con, measure)
    query = mismatches_sql(measure, sql)
    count = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    total = con.execute(f"SELECT count(*) FROM measures.{measure.id}").fetchone()[0]
    errors = [f"{count} of {total} value(s) differ from a recomputation from raw rows."] if count else []
    if untraced:
        errors.append(f"{untraced} source row(s) do not trace back to a delivered raw row.")
    return _verdict(measure, "verifiable", errors=errors, warnings=[], rows_failed=count,
                    sample=sample_rows(con, query) if count else [],
                    ok=f"All {total} values recomputed from raw rows and matched.")


def accurate(con: duckdb.DuckDBPyConnection, measure: Measure, as_of: dt.date) -> Outcome:
    """Values inside the range allowed for the unit, numerators not above denominators for percentages, no
    impossible numbers, no period in the future. (How much of a count no ward holds is judged once, by the
    GX series suite on marts.measure_values.)"""
    rules = measure.quality
    high = "NULL" if rules.max_value is None else repr(rules.max_value)
    bad = f"""SELECT period_start, area_type, area_code, value, numerator, denominator,
                CASE WHEN isnan(value) OR isinf(value) THEN 'not a number'
                     WHEN value < {rules.min_value!r} THEN 'below {rules.min_value:g}'
                     WHEN value > {high} THEN 'above {rules.max_value}'
                     WHEN numerator < 0 THEN 'negative count'
                     WHEN {measure.unit == "percent"} AND numerator > denominator THEN 'numerator above denominator'
                     WHEN period_start > ?::DATE THEN 'period in the future' END AS problem
              FROM measures.{measure.id}"""
    query = f"SELECT * FROM ({bad}) WHERE problem IS NOT NULL ORDER BY period_start DESC"
    count = con.execute(f"SELECT count(*) FROM ({query})", [as_of]).fetchone()[0]
    errors = [f"{count} value(s) are impossible for a measure in {measure.unit}."] if count else []
    return _verdict(measure, "accurate", errors=errors, warnings=[], rows_failed=count,
                    sample=sample_rows(con, query, [as_of]) if count else [],
                    ok=f"All values are possible for {measure.unit}.")

