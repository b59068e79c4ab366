"""Open data: each public dataset as CSV, JSON and Parquet, written by DuckDB straight from the published
warehouse, with a metadata file (title, definition, unit, licence, publisher, last updated, columns).

CSV text cells that begin with =, +, -, @, a tab or a carriage return are prefixed with an apostrophe so a
spreadsheet shows them as text instead of running them as a formula (OWASP "CSV injection"). Numbers are
written as numbers: a negative number is data, not a formula. JSON and Parquet keep every value as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from outputs.publication import PERSONAL_DATA_COLUMNS, SUPPRESSION_NOTE
from warehouse.council import load_council

LICENCE = {"name": "Open Government Licence v3.0",
           "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}
FORMATS = ("csv", "json", "parquet")
FORMULA_START = r"^[=+\-@\t\r]"

VALUE_COLUMNS = {
    "measure_id": "The measure's id in the council's catalogue",
    "measure_title": "The measure's name",
    "unit": "What the value counts or measures",
    "area_type": "district, locality (a group of wards the council defines) or ward",
    "area_code": "ONS code of the ward or district, or the council's locality code",
    "area_name": "Name of the area",
    "period_start": "First day of the period (ISO 8601 date)",
    "period_end": "Last day of the period (ISO 8601 date)",
    "value": "The measure's value; blank when suppressed",
    "numerator": "What was counted (see the measure's definition); blank when suppressed or not applicable",
    "denominator": "What it was divided by; blank when suppressed or not applicable",
    "suppressed": "true when the figure is withheld: it rests on 1 to 4 people, cases or records, or it would "
                  "let such a figure be worked out from its area's total",
}


@dataclass(frozen=True)
class Dataset:
    name: str                 # file stem
    title: str
    description: str
    query: str                # SQL over the published warehouse (with publication.py's temp objects)
    columns: dict[str, str]   # column -> description, in the query's order
    unit: str | None = None
    definition: str | None = None


def neutralise_sql(column: str) -> str:
    """SQL that prefixes an apostrophe to a text cell a spreadsheet would read as a formula."""
    return (f"CASE WHEN regexp_matches({column}, '{FORMULA_START}') THEN '''' || {column} ELSE {column} END "
            f"AS {column}")


def column_types(con: duckdb.DuckDBPyConnection, query: str) -> dict[str, str]:
    """The query's columns and their DuckDB types, in order."""
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {query}").fetchall()}


def write_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    """COPY the query to a CSV with every text column neutralised against formula injection. Returns its rows."""
    safe = ", ".join(neutralise_sql(c) if t == "VARCHAR" else c for c, t in column_types(con, query).items())
    return con.execute(f"COPY (SELECT {safe} FROM ({query})) TO '{path}' (FORMAT csv, HEADER)").fetchone()[0]


def write_dataset(con: duckdb.DuckDBPyConnection, dataset: Dataset, folder: Path,
                  last_updated: dt.datetime) -> list[Path]:
    """Write <name>.csv/.json/.parquet and <name>.metadata.json into `folder`. Returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    types = column_types(con, dataset.query)
    if personal := sorted(set(types) & PERSONAL_DATA_COLUMNS):
        raise ValueError(f"{dataset.name}: column(s) {personal} would publish personal data")
    if list(types) != list(dataset.columns):
        raise ValueError(f"{dataset.name}: columns {list(types)} do not match their descriptions "
                         f"{list(dataset.columns)}")
    paths = {fmt: folder / f"{dataset.name}.{fmt}" for fmt in FORMATS}
    rows = write_csv(con, dataset.query, paths["csv"])
    con.execute(f"COPY ({dataset.query}) TO '{paths['json']}' (FORMAT json, ARRAY true)")
    con.execute(f"COPY ({dataset.query}) TO '{paths['parquet']}' (FORMAT parquet)")
    metadata = {
        "title": dataset.title, "description": dataset.description, "definition": dataset.definition,
        "unit": dataset.unit, "licence": LICENCE, "publisher": load_council().council_name,
        "last_updated": last_updated.isoformat(timespec="seconds"), "rows": rows,
        "files": {fmt: path.name for fmt, path in paths.items()},
        "columns": [{"name": c, "type": types[c], "description": d} for c, d in dataset.columns.items()],
        "notes": (SUPPRESSION_NOTE + " Below district level a month keeps the figures it was first published "
                  "with; later corrections show in the district's figure. "
                  "In the CSV, text beginning with =, +, - or @ is prefixed with an apostrophe."),
    }
    meta_path = folder / f"{dataset.name}.metadata.json"
    meta_path.write_text(json.dumps(metadata, indent=2, default=str), encoding="utf-8")
    return [*paths.values(), meta_path]


def measure_values_query(measure_id: str | None = None) -> str:
    """Public measure values, suppressed, optionally for one measure (an id from the catalogue, not user input)."""
    where = "is_public" + (f" AND measure_id = '{measure_id}'" if measure_id else "")
    return (f"SELECT {', '.join(VALUE_COLUMNS)} FROM suppressed_values WHERE {where} "
            "ORDER BY measure_id, area_type, area_code, period_start")
