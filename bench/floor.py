"""The DuckDB floor: what DuckDB alone takes to turn the landing files into the measures.

    .venv/bin/python bench/floor.py --landing data/landing --database /tmp/floor.duckdb

A plain script with no Dagster, no checks, no audit trail and no publishing: it reads every landing file with
the pipeline's own DuckDB readers (one INSERT per source over all its files), then runs the same SQL the
pipeline runs (each source's staging SQL, keeping the rows it accepts; the core models; the catalogue
dimensions; every measure's compiled SQL; marts.measure_values) into a fresh database, in dependency order.
The benchmark (bench/speed.py) compares the full pipeline with this. Prints one JSON line of timings.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import ExitStack
from pathlib import Path

import duckdb

from sources import CONTRACTS
from sources.contract import SourceContract
from sources.reader import delivery_key, discover_files, file_relation, match_columns
from warehouse.catalogue import catalogue
from warehouse.catalogue_tables import CATALOGUE_TABLES, build_catalogue_table
from warehouse.db import ensure_schemas, load_extension, prepare
from warehouse.measure_sql import compile_measure, measure_values_sql
from warehouse.models import CORE_DIR, referenced_tables, sql_models


def load_raw(con: duckdb.DuckDBPyConnection, contract: SourceContract, folder: Path) -> int:
    """raw.<source>: every file's rows as text, with the lineage columns the staging SQL reads."""
    names = ", ".join(f'"{c.name}" VARCHAR' for c in contract.columns)
    con.execute(f"CREATE TABLE raw.{contract.name} ({names}, _source_file VARCHAR, _file_sha256 VARCHAR, "
                "_row_number BIGINT, _loaded_at TIMESTAMP, _run_id VARCHAR)")
    parts = []
    with ExitStack() as files:  # each file's relation (and any UTF-8 copy) lasts until the one INSERT has read it
        for index, path in enumerate(discover_files(contract, folder)):
            file_id = f"{contract.name}-file-{index}"  # stands in for the SHA-256 the pipeline computes
            relation, first_row = files.enter_context(file_relation(con, contract, path, []))
            delivered = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
            mapping, _ = match_columns(contract, delivered, path)
            columns = ", ".join(f'"{mapping[c.name]}" AS "{c.name}"' if c.name in mapping else f'NULL AS "{c.name}"'
                                for c in contract.columns)
            con.execute("INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, size_bytes, "
                        "rows_loaded, blank_rows, loaded_at, run_id, delivery_key) VALUES (?, ?, ?, ?, ?, 0, 0, "
                        "now(), 'floor', ?)", [contract.name, path.name, str(path), file_id, path.stat().st_size,
                                               delivery_key(path.name)])
            parts.append(f"""SELECT {columns}, '{path}' AS _source_file, '{file_id}' AS _file_sha256,
                                    row_number() OVER () + {first_row - 1} AS _row_number, now() AS _loaded_at,
                                    'floor' AS _run_id
                             FROM {relation}""")
        if parts:
            con.execute(f"INSERT INTO raw.{contract.name} " + " UNION ALL ".join(parts))
    return con.execute(f"SELECT count(*) FROM raw.{contract.name}").fetchone()[0]


def models() -> dict[str, str]:
    """Every table the floor builds after raw, as table -> SQL (catalogue dimensions have no SQL: '')."""
    built: dict[str, str] = {}
    for contract in CONTRACTS.values():
        built[f"staging.{contract.name}"] = (
            f"SELECT * EXCLUDE (_reject_reason, _scope_reason) FROM ({contract.staging_sql()}) "
            "WHERE _reject_reason IS NULL AND _scope_reason IS NULL")
    built.update({f"core.{name}": sql for name, sql in sql_models(CORE_DIR).items()})
    built.update({f"core.{name}": "" for name in CATALOGUE_TABLES})
    built.update({f"measures.{m.id}": compile_measure(m) for m in catalogue().measures.values()})
    built["marts.measure_values"] = measure_values_sql()
    return built


def in_dependency_order(tables: dict[str, str]) -> list[str]:
    order: list[str] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        if table in order or table not in tables:
            return
        if table in visiting:
            raise ValueError(f"dependency cycle at {table}")
        visiting.add(table)
        for dependency in referenced_tables(tables[table]):
            if dependency != table:
                visit(dependency)
        visiting.discard(table)
        order.append(table)

    for table in tables:
        visit(table)
    return order


def run_floor(landing: Path, database: Path) -> dict:
    """Build the measures from `landing` into a new database at `database`; return the timings."""
    database.unlink(missing_ok=True)
    started = time.monotonic()
    con = duckdb.connect(str(database))
    prepare(con)
    ensure_schemas(con)  # the staging SQL of some sources reads audit.loaded_files (which delivery is latest)
    load_extension(con, "excel")
    raw_rows = sum(load_raw(con, c, landing / c.name) for c in CONTRACTS.values())
    loaded = time.monotonic()
    cat = catalogue()
    tables = models()
    for table in in_dependency_order(tables):
        schema, name = table.split(".")
        if not tables[table]:
            build_catalogue_table(con, name, cat)
        else:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS {tables[table]}")
    values = con.execute("SELECT count(*) FROM marts.measure_values").fetchone()[0]
    con.close()
    finished = time.monotonic()
    return {"load_seconds": round(loaded - started, 2), "transform_seconds": round(finished - loaded, 2),
            "seconds": round(finished - started, 2), "raw_rows": raw_rows, "measure_values": values}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True, help="landing folder (one sub-folder per source)")
    parser.add_argument("--database", type=Path, required=True, help="a new DuckDB file (replaced if present)")
    args = parser.parse_args()
    print(json.dumps(run_floor(args.landing, args.database)))


if __name__ == "__main__":
    main()
