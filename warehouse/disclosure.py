"""Statistical disclosure control for everything published outside the council: the public site, open data and
partner packs. One suppression pattern per threshold, worked out once a night into `marts.disclosed_values`,
and frozen once published (`audit.suppression_history`): a later night may withhold more, never reveal a cell
it withheld before (partner packs keep every day's copy).

Rules (after the GSS/ONS guidance on disclosure control for tables), below the whole district only:
- Primary: a count, numerator, denominator or number of records from 1 to threshold-1; for a percentage, a
  complement (denominator - numerator) from 1 to threshold-1, and 0 % or 100 % of fewer than twice the
  threshold (everyone, or no one, in a small group).
- Zero areas are present: an area with no records has a row (0, or blank "no records" for a ratio), so
  absence reveals nothing, and a zero is never withheld (it identifies nobody).
- Secondary: areas add up to their parent (wards to their locality, localities to the district), so a lone
  withheld area in a family gets a partner: the smallest other area whose published counts are all non-zero
  (never a zero, never one already withheld); when there is none, the parent itself. A withheld parent whose
  areas are all shown gets one withheld too (their sum would give it away).
- Shared counts: two measures that publish the same count (equal in every area and month, e.g. contacts
  received and the denominator of failure demand) are withheld together, area by area.
- Higher thresholds (a partner's agreement) withhold everything a lower one does, so no pack undoes another.

The pattern is worked out per (measure, month) family in Python over aggregate rows (about 1,000 a month of
history, never record-level data); the rows and their zero fill are SQL."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import duckdb
import pandas as pd

from warehouse.council import NATIONAL_SUPPRESS_BELOW

PUBLIC_SUPPRESS_BELOW = NATIONAL_SUPPRESS_BELOW  # counts of 1 to 4 are never published (a council may set more)
SHARED_COUNT_MIN_ROWS = 3  # two measures' counts equal in a month in at least this many non-zero areas (and every
                           # other) are one: the five localities of a locality-only measure must be enough

Key = tuple[str, dt.date, str, str]  # measure_id, period_start, area_type, area_code

# Every ended period's rows (of complete periods only: every source has delivered it. A period in progress, or
# provisional because a source is past its grace and still missing, is not released: its partial figures below
# the district would otherwise be fixed as the first release), with an explicit row for each area that had no
# records (zero fill), and the
# nearest ancestor area of each row. Counts are zero-filled; a ratio's value stays blank ("no records"). Below
# the district, a (measure, month) released before has the figures of its first release, for every threshold.
GRID_SQL = """
CREATE OR REPLACE TEMP TABLE disclosure_grid AS
WITH ended AS (
    SELECT v.* FROM marts.measure_values v
    SEMI JOIN marts.period_completeness c ON c.measure_id = v.measure_id AND c.period_start = v.period_start
                                         AND c.period_status = 'complete'
    WHERE v.period_end < getvariable('disclosure_as_of')
), shape AS (
    SELECT e.measure_id, any_value(m.unit) AS unit, bool_or(e.numerator IS NOT NULL) AS has_numerator,
           bool_or(e.denominator IS NOT NULL) AS has_denominator
    FROM ended e JOIN core.dim_measure m USING (measure_id) GROUP BY e.measure_id
), levels AS (
    SELECT DISTINCT measure_id, area_type FROM ended WHERE area_type IN ('locality', 'ward')
), periods AS (
    SELECT DISTINCT measure_id, period_start, period_end FROM ended
), filled AS (
    SELECT p.measure_id, p.period_start, p.period_end, a.area_type, a.area_code,
           CASE WHEN s.unit = 'count' THEN 0 END AS value,
           CASE WHEN s.has_numerator THEN 0 END AS numerator,
           CASE WHEN s.has_denominator AND s.unit NOT LIKE 'per %' THEN 0 END AS denominator,
           0 AS observations, true AS no_records
    FROM periods p JOIN levels USING (measure_id) JOIN shape s USING (measure_id)
    JOIN core.dim_area a USING (area_type)
    ANTI JOIN ended e ON e.measure_id = p.measure_id AND e.period_start = p.period_start
                     AND e.area_type = a.area_type AND e.area_code = a.area_code
), current AS (
    SELECT measure_id, period_start, period_end, area_type, area_code, value, numerator, denominator,
           observations, false AS no_records FROM ended
    UNION ALL BY NAME SELECT * FROM filled
), released_months AS (
    SELECT DISTINCT measure_id, period_start FROM audit.disclosure_releases
), judged AS (  -- below the district, a month released before keeps the figures it was first released with
    SELECT c.*, c.area_type <> 'district' AND m.measure_id IS NOT NULL AS as_first_released,
           f.area_code IS NOT NULL AS in_release, f.value AS f_value, f.numerator AS f_numerator,
           f.denominator AS f_denominator, f.observations AS f_observations
    FROM current c
    LEFT JOIN released_months m USING (measure_id, period_start)
    LEFT JOIN audit.disclosure_releases f USING (measure_id, period_start, area_type, area_code)
)
SELECT measure_id, period_start, period_end, area_type, area_code,
       CASE WHEN as_first_released THEN f_value ELSE value END AS value,
       CASE WHEN as_first_released THEN f_numerator ELSE numerator END AS numerator,
       CASE WHEN as_first_released THEN f_denominator ELSE denominator END AS denominator,
       CASE WHEN as_first_released THEN f_observations ELSE observations END AS observations,
       no_records, as_first_released, as_first_released AND NOT in_release AS added_after_release,
       s.unit, a.parent_code
FROM judged r
JOIN shape s USING (measure_id)
LEFT JOIN core.dim_area a USING (area_type, area_code)
"""

PRIMARY_SQL = """
SELECT measure_id, period_start, area_type, area_code, CASE
    WHEN area_type = 'district' THEN NULL
    WHEN unit = 'count' AND small(value) THEN 'a count of 1 to ' || ($b - 1)
    WHEN small(numerator) THEN 'a numerator of 1 to ' || ($b - 1)
    WHEN small(denominator) THEN 'a denominator of 1 to ' || ($b - 1)
    WHEN small(observations) THEN 'rests on 1 to ' || ($b - 1) || ' records'
    WHEN unit = 'percent' AND small(denominator - numerator) THEN
        'the rest of the group (denominator - numerator) is 1 to ' || ($b - 1)
    WHEN unit = 'percent' AND denominator > 0 AND denominator < 2 * $b
         AND (numerator = 0 OR numerator = denominator) THEN '0 % or 100 % of fewer than ' || (2 * $b)
    END AS reason
FROM disclosure_grid
"""


@dataclass(frozen=True)
class Cell:
    """One published row of the grid: its counts that add up to its parent's, and its nearest ancestor."""

    key: Key
    additive: tuple[float, ...]  # the published counts that sum over areas (a count's value, numerator, denominator)
    parent: Key | None


def build_disclosed_values(con: duckdb.DuckDBPyConnection, thresholds: list[int], as_of: dt.date) -> dict[int, int]:
    """Work out the suppression pattern for each threshold over the periods ended before `as_of` and write
    marts.disclosed_values (one row per threshold x measure x month x area, values blank where withheld). A
    month already released keeps the figures it was first released with below the district (later corrections
    show in the district's figure only); newly withheld cells go to audit.suppression_history and newly released
    months to audit.disclosure_releases. Returns cells withheld per threshold."""
    thresholds = sorted(set(thresholds))
    if not thresholds or thresholds[0] < PUBLIC_SUPPRESS_BELOW:
        raise ValueError(f"thresholds must be at least {PUBLIC_SUPPRESS_BELOW}: {thresholds}")
    con.execute("SET VARIABLE disclosure_as_of = ?::DATE", [as_of])
    _ensure_history(con)
    con.execute(GRID_SQL)
    cells = _cells(con)
    shared = _shared_measures(con)
    added = {(m, p, t, c): "added after the month was first released" for m, p, t, c in con.execute(
        "SELECT measure_id, period_start, area_type, area_code FROM disclosure_grid WHERE added_after_release"
    ).fetchall()}
    patterns: dict[int, dict[Key, str]] = {}
    for below in thresholds:
        withheld = {k: f"withheld at the lower threshold of {prev}" for prev in patterns for k in patterns[prev]}
        withheld.update(_frozen(con, below, cells))
        withheld.update(_primary(con, below))
        withheld.update(added)
        _secondary(cells, withheld, shared)
        patterns[below] = withheld
    _write(con, patterns)
    _record(con, patterns, as_of)
    return {below: len(pattern) for below, pattern in patterns.items()}


def _ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    con.execute("""CREATE TABLE IF NOT EXISTS audit.suppression_history (
        suppress_below INTEGER, measure_id VARCHAR, period_start DATE, area_type VARCHAR, area_code VARCHAR,
        reason VARCHAR, first_withheld_as_of DATE)""")
    if "suppress_below" in [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'audit' "
            "AND table_name = 'disclosure_releases'").fetchall()]:  # the per-threshold form of an earlier build
        con.execute("DROP TABLE audit.disclosure_releases")
    con.execute("""CREATE TABLE IF NOT EXISTS audit.disclosure_releases (
        measure_id VARCHAR, period_start DATE, area_type VARCHAR, area_code VARCHAR, value DOUBLE,
        numerator DOUBLE, denominator DOUBLE, observations BIGINT, first_released_as_of DATE)""")


def _small(con: duckdb.DuckDBPyConnection, below: int) -> None:
    con.execute(f"CREATE OR REPLACE TEMP MACRO small(v) AS coalesce(v >= 1 AND v < {int(below)}, false)")


def _primary(con: duckdb.DuckDBPyConnection, below: int) -> dict[Key, str]:
    _small(con, below)
    rows = con.execute(f"SELECT * FROM ({PRIMARY_SQL}) WHERE reason IS NOT NULL", {"b": below}).fetchall()
    return {(m, p, t, c): reason for m, p, t, c, reason in rows}


def _frozen(con: duckdb.DuckDBPyConnection, below: int, cells: dict[Key, Cell]) -> dict[Key, str]:
    rows = con.execute("""SELECT measure_id, period_start, area_type, area_code, first_withheld_as_of
                          FROM audit.suppression_history WHERE suppress_below = ?""", [below]).fetchall()
    return {(m, p, t, c): f"withheld since it was first published on {since}"
            for m, p, t, c, since in rows if (m, p, t, c) in cells}


def _cells(con: duckdb.DuckDBPyConnection) -> dict[Key, Cell]:
    """Every row of the grid with its additive counts and nearest ancestor that has a row of its own."""
    rows = con.execute("""SELECT measure_id, period_start, area_type, area_code, unit, value, numerator,
                                 denominator FROM disclosure_grid""").fetchall()
    areas = con.execute("SELECT area_code, parent_code, area_type FROM core.dim_area").fetchall()
    parents, types = {c: p for c, p, _ in areas}, {c: t for c, _, t in areas}
    present = {(m, p, t, c) for m, p, t, c, *_ in rows}
    cells = {}
    for measure, period, area_type, code, unit, value, numerator, denominator in rows:
        additive = tuple(q for q in (value if unit == "count" else None, numerator, denominator) if q is not None)
        parent, ancestor = None, parents.get(code)
        while ancestor is not None and parent is None:
            candidate = (measure, period, types.get(ancestor), ancestor)
            parent = candidate if candidate in present else None
            ancestor = parents.get(ancestor)
        key = (measure, period, area_type, code)
        cells[key] = Cell(key, additive, parent)
    return cells


def _shared_measures(con: duckdb.DuckDBPyConnection) -> dict[tuple[dt.date, str], set[str]]:
    """(month, measure) -> the measures that publish the same count that month: one of value (counts),
    numerator or denominator equal to one of another measure's in every area both have, with at least
    SHARED_COUNT_MIN_ROWS non-zero. Judged month by month, so one odd month elsewhere changes nothing."""
    pairs = con.execute(f"""
        WITH amounts AS (
            UNPIVOT (SELECT measure_id, period_start, area_type, area_code,
                            CASE WHEN unit = 'count' THEN value END AS value, numerator, denominator
                     FROM disclosure_grid WHERE area_type <> 'district')
            ON value, numerator, denominator INTO NAME quantity VALUE amount)
        SELECT period_start, a.measure_id, b.measure_id
        FROM amounts a JOIN amounts b USING (period_start, area_type, area_code)
        WHERE a.measure_id < b.measure_id
        GROUP BY period_start, a.measure_id, a.quantity, b.measure_id, b.quantity
        HAVING bool_and(a.amount = b.amount) AND count(*) FILTER (WHERE a.amount > 0) >= {SHARED_COUNT_MIN_ROWS}
        """).fetchall()
    shared: dict[tuple[dt.date, str], set[str]] = defaultdict(set)
    for period, first, second in pairs:
        shared[(period, first)].add(second)
        shared[(period, second)].add(first)
    return shared


def _eligible(cell: Cell, withheld: dict[Key, str]) -> bool:
    """A partner for a withheld cell: shown, and every published count non-zero (so at least the threshold)."""
    return cell.key not in withheld and bool(cell.additive) and all(q > 0 for q in cell.additive)


def _pick(children: list[Cell], withheld: dict[Key, str], zeros_too: bool = False) -> Cell | None:
    """The partner for a withheld cell among `children`: the smallest eligible; failing that, the smallest partly
    non-zero; failing that (`zeros_too`, under a district that cannot be withheld) the first zero: withheld, a
    zero is no longer known to be one."""
    eligible = [c for c in children if _eligible(c, withheld)]
    if not eligible:
        eligible = [c for c in children if c.key not in withheld and any(q > 0 for q in c.additive)]
    if not eligible and zeros_too:
        eligible = [c for c in children if c.key not in withheld and c.additive]
    return min(eligible, key=lambda c: (sum(c.additive), c.key[3]), default=None)


def _secondary(cells: dict[Key, Cell], withheld: dict[Key, str], shared: dict[tuple[dt.date, str], set[str]]) -> None:
    """Add the partners that stop each withheld cell being worked out by subtraction, until nothing changes."""
    families: dict[Key, list[Cell]] = defaultdict(list)
    for cell in cells.values():
        if cell.parent is not None and cell.additive:
            families[cell.parent].append(cell)
    changed = True
    while changed:
        changed = False
        for key in [k for k in withheld if (k[1], k[0]) in shared]:
            for other in shared[(key[1], key[0])]:
                twin = (other, *key[1:])
                if twin in cells and twin not in withheld and cells[twin].additive:
                    withheld[twin] = f"shares a count with {key[0]}, withheld there"
                    changed = True
        for parent, children in families.items():
            hidden = [c for c in children if c.key in withheld]
            parent_hidden = parent in withheld
            if len(hidden) == 1 and not parent_hidden:
                partner = _pick(children, withheld, zeros_too=parent[2] == "district")
                if partner is not None:
                    withheld[partner.key] = "secondary: another area of the same total is withheld"
                elif parent[2] != "district":
                    withheld[parent] = "secondary: its one withheld area has no other to pair with"
                else:
                    continue  # the district's only area: nothing can hide it (the district is always shown)
                changed = True
            elif parent_hidden and not hidden:  # zeros too: shown, they would add up to a withheld zero total
                partner = _pick(children, withheld, zeros_too=True)
                if partner is not None:
                    withheld[partner.key] = "secondary: its total is withheld and its areas would add up to it"
                    changed = True


def _record(con: duckdb.DuckDBPyConnection, patterns: dict[int, dict[Key, str]], as_of: dt.date) -> None:
    """Every newly withheld cell into audit.suppression_history; every (measure, month) released for the first
    time (its unsuppressed figures below the district) into audit.disclosure_releases."""
    con.register("withheld_now", _frame(patterns))
    try:
        con.execute("""INSERT INTO audit.suppression_history
                       SELECT suppress_below, measure_id, period_start, area_type, area_code, reason, ?::DATE
                       FROM withheld_now w ANTI JOIN audit.suppression_history h
                       USING (suppress_below, measure_id, period_start, area_type, area_code)""", [as_of])
    finally:
        con.unregister("withheld_now")
    con.execute("""INSERT INTO audit.disclosure_releases
                   SELECT measure_id, period_start, area_type, area_code, value, numerator, denominator,
                          observations, ?::DATE
                   FROM disclosure_grid WHERE area_type <> 'district' AND NOT as_first_released""", [as_of])


def _frame(patterns: dict[int, dict[Key, str]]) -> pd.DataFrame:
    records = [(below, *key, reason) for below, pattern in patterns.items() for key, reason in pattern.items()]
    frame = pd.DataFrame(records, columns=["suppress_below", "measure_id", "period_start", "area_type", "area_code",
                                           "reason"])
    return frame.astype({"suppress_below": "int32", "measure_id": "string", "area_type": "string",
                         "area_code": "string", "reason": "string"})


# Tonight's pattern over the grid's figures (below the district, as first released).
WRITE_SQL = """
CREATE OR REPLACE TABLE marts.disclosed_values AS
SELECT t.suppress_below, g.measure_id, g.period_start, g.period_end, g.area_type, g.area_code,
       w.reason IS NOT NULL AS suppressed,
       CASE WHEN w.reason IS NULL THEN g.value END AS value,
       CASE WHEN w.reason IS NULL THEN g.numerator END AS numerator,
       CASE WHEN w.reason IS NULL THEN g.denominator END AS denominator,
       g.no_records, g.as_first_released, w.reason AS suppression_reason
FROM disclosure_grid g CROSS JOIN thresholds t
LEFT JOIN withheld_now w ON w.suppress_below = t.suppress_below AND w.measure_id = g.measure_id
     AND w.period_start = g.period_start AND w.area_type = g.area_type AND w.area_code = g.area_code
ORDER BY ALL
"""


def _write(con: duckdb.DuckDBPyConnection, patterns: dict[int, dict[Key, str]]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.register("withheld_now", _frame(patterns))
    con.register("thresholds", pd.DataFrame({"suppress_below": list(patterns)}, dtype="int32"))
    try:
        con.execute(WRITE_SQL)
    finally:
        con.unregister("withheld_now")
        con.unregister("thresholds")
