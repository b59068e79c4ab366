"""Shared helpers for the asset factories: keys from table names, owners, and materialisation metadata."""

from __future__ import annotations

import datetime as dt
import decimal

import dagster as dg
import duckdb

from warehouse.db import WarehouseResource
from warehouse.incremental import APPEND_MARKER, appends, build_model
from warehouse.models import referenced_tables

PREVIEW_ROWS = 5
POLICY_OWNERS = ["policy.team@bromsgrove.example", "team:policy"]


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


def sql_model_asset(schema: str, name: str, sql: str) -> dg.AssetsDefinition:
    """An asset that (re)builds `schema.name` from the SQL file warehouse/sql/<schema>/<name>.sql. Its leading
    `--` comment is the description; its dependencies are the tables the SQL names."""
    table = f"{schema}.{name}"
    description = " ".join(ln[2:].strip() for ln in sql.splitlines()
                           if ln.startswith("--") and ln.strip() != APPEND_MARKER)
    if appends(sql):
        description += " On an incremental night only the rows of newly staged files are added."

    @dg.asset(key=table_key(table), group_name=schema, kinds={"duckdb", "sql"}, owners=POLICY_OWNERS,
              deps=[table_key(t) for t in referenced_tables(sql) if t != table],
              description=f"{description} SQL: warehouse/sql/{schema}/{name}.sql")
    def _model(context, warehouse: WarehouseResource) -> dg.MaterializeResult:  # context: AssetExecutionContext
        with warehouse.connect() as con:
            mode, why = build_model(con, table, sql, context.run_id)
            return dg.MaterializeResult(metadata={**table_metadata(con, table), "build_mode": mode,
                                                  "build_mode_reason": why})

    return _model
