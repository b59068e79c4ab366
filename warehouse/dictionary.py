"""The published copies document themselves: a comment on every table and column, and `marts.data_dictionary`.

Each description is written once. A table built from SQL is described by its SQL's leading `--` comment (the
same text the Dagster UI shows); a table built in Python, or an audit table whose comment needs more, by
`warehouse/catalogue/dictionary.yaml` (`tables:`). A column is described by its name in that file's `columns:`,
the same everywhere it appears (`measure_id` is one thing in every table), unless `table_columns:` gives the
table its own meaning. Each copy gets `marts.data_dictionary`: exactly the tables and columns it holds.
`tests/test_data_dictionary.py` fails if any table or column a copy holds has no description.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import duckdb
import yaml

from warehouse.incremental import APPEND_MARKER
from warehouse.models import CORE_DIR, MARTS_DIR, sql_models

DICTIONARY_YAML = Path(__file__).parent / "catalogue" / "dictionary.yaml"
AUDIT_SQL = Path(__file__).parent / "sql" / "audit.sql"
TABLE = "marts.data_dictionary"
DESCRIBED_SCHEMAS = ("core", "marts", "audit")
DICTIONARY_COLUMNS = {"schema_name": "VARCHAR", "table_name": "VARCHAR", "column_position": "INTEGER",
                      "column_name": "VARCHAR", "data_type": "VARCHAR", "table_description": "VARCHAR",
                      "column_description": "VARCHAR"}


def leading_comment(sql: str) -> str:
    """The `--` lines a SQL model starts with, as one paragraph (its description; the incremental marker left out)."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        if line.strip() != APPEND_MARKER:
            lines.append(line[2:].strip())
    return " ".join(lines)


def _audit_comments() -> dict[str, str]:
    """audit.<table> -> the `--` lines just above its CREATE TABLE in warehouse/sql/audit.sql."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in AUDIT_SQL.read_text(encoding="utf-8").splitlines():
        if line.startswith("--"):
            comment.append(line[2:].strip())
            continue
        if match := re.match(r"CREATE TABLE IF NOT EXISTS (audit\.\w+)", line):
            found[match[1]] = " ".join(comment)
        comment = []
    return found


@cache
def _entries() -> dict:
    return yaml.safe_load(DICTIONARY_YAML.read_text(encoding="utf-8"))


@cache
def table_descriptions() -> dict[str, str]:
    """schema.table -> its description: dictionary.yaml's `tables:` over the SQL's own leading comment."""
    described = {f"core.{n}": leading_comment(s) for n, s in sql_models(CORE_DIR).items()}
    described |= {f"marts.{n}": leading_comment(s) for n, s in sql_models(MARTS_DIR).items()}
    described |= {f"marts.{n}": leading_comment(s) for n, s in sql_models(MARTS_DIR / "with_assets").items()}
    described |= _audit_comments()
    return {**described, **_entries()["tables"]}


def column_description(table: str, column: str) -> str | None:
    """The description of `column` in `table` (schema.table), or None when it has none."""
    return _entries()["table_columns"].get(f"{table}.{column}") or _entries()["columns"].get(column)


def describe_copy(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Comment every table and column of `catalog` (an attached copy) and write its `marts.data_dictionary`.
    Returns what has no description (schema.table or schema.table.column): it is left uncommented."""
    con.execute(f"DROP TABLE IF EXISTS {catalog}.{TABLE}")
    con.execute(f"CREATE TABLE {catalog}.{TABLE} ({', '.join(f'{c} {t}' for c, t in DICTIONARY_COLUMNS.items())})")
    columns = con.execute("""SELECT schema_name, table_name, column_index, column_name, data_type
                             FROM duckdb_columns() WHERE database_name = ? AND schema_name IN ?
                             ORDER BY schema_name, table_name, column_index""",
                          [catalog, list(DESCRIBED_SCHEMAS)]).fetchall()
    tables = table_descriptions()
    missing: list[str] = []
    rows = []
    for schema, table, position, column, data_type in columns:
        name = f"{schema}.{table}"
        table_text, column_text = tables.get(name), column_description(name, column)
        missing += [name] if not table_text and name not in missing else []
        missing += [f"{name}.{column}"] if not column_text else []
        rows.append((schema, table, position, column, data_type, table_text, column_text))
    con.execute(f"INSERT INTO {catalog}.{TABLE} SELECT unnest(?, recursive := true)",
                [[dict(zip(DICTIONARY_COLUMNS, row, strict=True)) for row in rows]])
    statements = [f'COMMENT ON TABLE {catalog}.{schema}."{table}" IS {_quoted(text)}'
                  for (schema, table), text in {(r[0], r[1]): r[5] for r in rows}.items() if text]
    statements += [f'COMMENT ON COLUMN {catalog}.{schema}."{table}"."{column}" IS {_quoted(text)}'
                   for schema, table, _, column, _, _, text in rows if text]
    con.execute("BEGIN TRANSACTION")  # one commit for some 600 catalogue changes, not one each
    try:
        con.execute(";\n".join(statements))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return missing


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
