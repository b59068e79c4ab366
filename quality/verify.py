"""Verifiable: recompute a measure's published values from the raw rows they came from.

The recomputation shares only the measure's definition (its catalogue SQL) with the pipeline. Every table
that SQL reads which carries lineage columns (`_file_sha256`, `_row_number`) is replaced by a view keeping
only the rows that trace back to a row still in `raw.<source>` (the source found through
`audit.loaded_files`); the observations are then aggregated here by a plain GROUP BY per area type, not by
the GROUPING SETS compilation in `warehouse.measure_sql`. Any published value that differs, or that has
no recomputed counterpart, is a mismatch.
"""

from __future__ import annotations

import re

import duckdb

from warehouse.catalogue import FREQUENCIES, Measure
from warehouse.models import referenced_tables

TOLERANCE = 1e-9
AREA_COLUMNS = {"ward": "ward_code", "locality": "locality_code", "team": "team_code"}


def _has_lineage(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    columns = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                         "WHERE table_schema = ? AND table_name = ?", [schema, name]).fetchall()}
    return {"_file_sha256", "_row_number"} <= columns


_UNTRACED: dict[tuple[int, str], int] = {}  # (connection, table) -> rows of the table when last traced


def _traced_view(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, int]:
    """A temp view of `table` keeping only rows whose (file hash, row number) exist in a raw table, and how
    many rows do not. The rows that do not trace (normally none) are found once per connection while the
    table keeps its row count, so a run's measures share one join of a fact table to its raw tables."""
    name = table.replace(".", "_")
    view, untraced = f"_traced_{name}", f"_untraced_{name}"
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
                         [untraced]).fetchone()[0]
    if _UNTRACED.get((id(con), table)) != rows or not exists:
        sources = [r[0] for r in con.execute(f"""SELECT DISTINCT l.source FROM audit.loaded_files l
            SEMI JOIN (SELECT DISTINCT _file_sha256 FROM {table}) t ON t._file_sha256 = l.file_sha256
            ORDER BY 1""").fetchall()]
        raw = " UNION ALL ".join(f"SELECT _file_sha256, _row_number FROM raw.{s}" for s in sources) or \
            "SELECT NULL::VARCHAR AS _file_sha256, NULL::BIGINT AS _row_number WHERE false"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {untraced} AS
            SELECT t._file_sha256, t._row_number FROM {table} t ANTI JOIN ({raw}) r
            ON r._file_sha256 = t._file_sha256 AND r._row_number = t._row_number""")
        con.execute(f"""CREATE OR REPLACE TEMP VIEW {view} AS
            SELECT t.* FROM {table} t ANTI JOIN {untraced} u
            ON u._file_sha256 IS NOT DISTINCT FROM t._file_sha256
               AND u._row_number IS NOT DISTINCT FROM t._row_number""")
        _UNTRACED[(id(con), table)] = rows
    return view, con.execute(f"SELECT count(*) FROM {untraced}").fetchone()[0]


def traced_sql(con: duckdb.DuckDBPyConnection, measure: Measure) -> tuple[str, int]:
    """The measure's SQL reading traced views instead of its lineage-carrying tables, and how many rows of
    those tables do not trace back to raw."""
    sql, untraced = measure.sql, 0
    for table in referenced_tables(measure.sql):
        if table.startswith(("core.", "staging.")) and _has_lineage(con, table):
            view, missing = _traced_view(con, table)
            untraced += missing
            sql = re.sub(rf"\b{re.escape(table)}\b", view, sql)
    return sql, untraced


def _aggregate(measure: Measure) -> str:
    scale = repr(measure.scale)
    return {
        "sum": "sum(numerator)::DOUBLE",
        "ratio": f"{scale} * sum(numerator) / nullif(sum(denominator), 0)",
        "per_population": f"{scale} * sum(numerator) / nullif(any_value(p.usual_residents), 0)",
        "median": "median(observation)::DOUBLE",
    }[measure.aggregation]


def recompute_sql(measure: Measure, observations_sql: str) -> str:
    """Values per period and area computed straight from the observations, one GROUP BY per area type."""
    unit = FREQUENCIES[measure.frequency]
    value = _aggregate(measure)
    needs_locality = "locality" in measure.breakdowns
    areas = {"district": "getvariable('district_code')",
             **{b: AREA_COLUMNS[b] for b in measure.breakdowns if b != "district"}}
    parts = []
    for area_type, column in areas.items():
        parts.append(f"""
        SELECT date_trunc('{unit}', o.event_date)::DATE AS period_start, '{area_type}' AS area_type,
               {column} AS area_code, {value} AS value
        FROM obs o
        LEFT JOIN core.population p ON p.area_type = '{area_type}' AND p.area_code = {column}
        WHERE o.event_date IS NOT NULL AND {column} IS NOT NULL
        GROUP BY ALL""")
    locality = "LEFT JOIN core.dim_ward w ON w.ward_code = o.ward_code" if needs_locality else ""
    locality_col = ", w.locality_code" if needs_locality else ""
    return f"""WITH obs AS (SELECT o.*{locality_col} FROM ({observations_sql}) o {locality})
        {" UNION ALL ".join(parts)}"""


def mismatches_sql(measure: Measure, observations_sql: str) -> str:
    """Rows where measures.<id> and the recomputation disagree: a different value, a published value with
    nothing behind it, or a recomputed value that was not published."""
    # A zero-filled row (no records) is 0: a count always, a rate only where the area's population is known
    # (0 per 1,000 of nobody knows how many is no figure); anything else has no value without records.
    missing, population = {
        "sum": ("0", ""),
        "per_population": ("CASE WHEN nullif(pop.usual_residents, 0) IS NOT NULL THEN 0 END",
                           "LEFT JOIN core.population pop USING (area_type, area_code)"),
    }.get(measure.aggregation, ("NULL", ""))
    return f"""
        WITH recomputed AS ({recompute_sql(measure, observations_sql)}),
        compared AS (
            SELECT period_start, area_type, area_code, p.value AS published,
                   CASE WHEN p.observations = 0 THEN coalesce(r.value, {missing}) ELSE r.value END AS recomputed
            FROM measures.{measure.id} p
            FULL JOIN recomputed r USING (period_start, area_type, area_code)
            {population})
        SELECT * FROM compared  -- one side NULL is a mismatch (a bare NOT would read NULL as no mismatch)
        WHERE NOT coalesce((published IS NULL AND recomputed IS NULL)
                           OR abs(published - recomputed) <= {TOLERANCE} * greatest(1, abs(published)), false)
        ORDER BY period_start DESC, area_type, area_code"""
