"""Shared helpers for the asset factories: keys from table names, owners, and materialisation metadata."""

from __future__ import annotations

import datetime as dt
import decimal

import dagster as dg
import duckdb

PREVIEW_ROWS = 5


def table_key(qualified: str) -> dg.AssetKey:
    """'core.dim_ward' -> AssetKey(['core', 'dim_ward']): every asset is named after the table it builds."""
    return dg.AssetKey(qualified.split("."))


def owners(team: str, email: str) -> list[str]:
    return [email, f"team:{team}"]


def _plain(value: object) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dg.MetadataValue | int | str]:
    """Row count, column schema and a small preview of a warehouse table, for the Dagster UI."""
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    names = [c[0] for c in columns]
    preview = con.execute(f"SELECT * FROM {table} LIMIT {PREVIEW_ROWS}").fetchall()
    schema = dg.TableSchema(columns=[dg.TableColumn(name=c[0], type=c[1]) for c in columns])
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": schema,
        "dagster/table_name": table,
        "preview": dg.MetadataValue.table(
            records=[dg.TableRecord({n: _plain(v) for n, v in zip(names, row, strict=True)}) for row in preview],
            schema=schema),
    }
