"""Shared helpers for the asset factories: keys from table names, owners, and materialisation metadata."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import duckdb

from sources import check_council_thresholds
from warehouse.classification import audience_classes, row_filter
from warehouse.dictionary import leading_comment, table_descriptions
from warehouse.incremental import appends, build_model
from warehouse.lake import lake_from_env
from warehouse.models import referenced_tables
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings, SettingsResource

PREVIEW_ROWS = 5
PUBLISHED = dg.AssetKey(["published", "warehouse"])  # the read-only copies every reader opens
NIGHT_MONTH = "night_month"  # metadata of assets built from the latest ended month: the month of their night
POLICY_OWNERS = ["policy.team@bromsgrove.example", "team:policy"]
ROOT = Path(__file__).resolve().parent.parent
CODE_PACKAGES = ("pipelines", "assets", "sources", "quality", "outputs", "warehouse")


@functools.cache
def pipeline_code() -> str:
    """A digest of the pipeline's Python code and shared SQL: part of every asset's code version, so that a
    release rebuilds everything once (pipelines/selection.py), while a catalogue entry or one model's SQL
    changes only what it reaches."""
    digest = hashlib.sha256()
    files = sorted(p for package in CODE_PACKAGES for p in (ROOT / package).rglob("*.py"))
    for path in [*files, ROOT / "warehouse" / "sql" / "macros.sql", ROOT / "warehouse" / "sql" / "audit.sql"]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _loaded_code() -> bytes:
    """A digest of every file of the pipeline's packages (code, SQL, catalogue, templates) and the lock file, as
    this process loaded them (read once, at import: a long-running code server keeps the digest of the code it
    runs, not of files deployed since)."""
    digest = hashlib.sha256()
    files = sorted(p for package in CODE_PACKAGES for p in (ROOT / package).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    for path in [*files, ROOT / "uv.lock"]:
        if path.exists():
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"duckdb {duckdb.__version__}\0".encode())
    return digest.digest()


LOADED_CODE = _loaded_code()
CODE_FINGERPRINT = "code_fingerprint"  # the published copy's metadata: the code_fingerprint it was made with
# Settings that change what a run writes.
FINGERPRINTED_SETTINGS = ("landing_dir", "warehouse_path", "published_path", "analyst_path", "analyst_group",
                          "analyst_special_category", "reports_pdf", "council")  # the council: its whole profile


def code_fingerprint(settings: Settings) -> str:
    """The code this process runs and the settings that change what a run writes, the pseudonym key among them
    (as a hash inside the digest: the key never leaves the process)."""
    digest = hashlib.sha256(LOADED_CODE)
    for name in FINGERPRINTED_SETTINGS:
        digest.update(f"{name}={getattr(settings, name)}\0".encode())
    digest.update(hashlib.sha256(settings.pseudonym_key.encode()).digest())
    lake = lake_from_env()  # a lake turned on (or moved) needs a publish: its first snapshot (warehouse/lake.py)
    digest.update(f"lake={lake.data_path if lake else None}\0".encode())
    return digest.hexdigest()[:16]


def code_version(*definition: str) -> str:
    """An asset's Dagster code version: the pipeline's code and the asset's own definition (its SQL, contract
    or catalogue entry). The night's plan rebuilds an asset whose code version changed since it was built."""
    digest = hashlib.sha256(pipeline_code().encode())
    for part in definition:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:16]


def built_because(context: dg.AssetExecutionContext) -> str:
    """Why this run rebuilt the asset, for its metadata: the night's plan (pipelines/selection.py: the new
    files, code or verdict changes it reaches), a landing sensor's delivery, or a run by hand."""
    tags = context.run.tags
    if "bdc/plan" in tags:
        return f"tonight's plan: {tags['bdc/plan']}"
    if tags.get("bdc/trigger") == "landing sensor":
        return f"a delivery of {tags.get('bdc/source', 'a source')}: {tags.get('bdc/files', '')}"
    return f"a run of {context.run.job_name} ({tags.get('bdc/trigger', 'started by hand')}): every selected asset"


def table_key(qualified: str, prefix: Sequence[str] = ()) -> dg.AssetKey:
    """'core.dim_ward' -> AssetKey(['core', 'dim_ward']): every asset is named after the table it builds. In the
    shared code location a council's keys begin with its id (`prefix`, a run's `Settings.asset_prefix`):
    AssetKey(['redditch', 'core', 'dim_ward'])."""
    return dg.AssetKey([*prefix, *qualified.split(".")])


def council_key(key: dg.AssetKey, prefix: Sequence[str]) -> dg.AssetKey:
    """`key` (a council's own code location's) as the council with `prefix` has it in the shared location."""
    return dg.AssetKey([*prefix, *key.path])


def table_of(key: dg.AssetKey) -> str:
    """The table (or output) an asset key names, whichever location: 'core.dim_ward'."""
    return ".".join(key.path[-2:])


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


# Dagster keeps every materialisation's metadata indefinitely and shows it to everyone with the UI, so rows are
# previewed only from the layers built of aggregates. raw, staging and core hold records about people (names and
# phone numbers in raw; pseudonymised keys, addresses and dates in staging and core): their metadata is the row
# count and the column schema, never a value.
PREVIEWED_LAYERS = ("measures", "marts")


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dg.MetadataValue | int | str]:
    """Row count and column schema of a warehouse table, for the Dagster UI; a few rows too when the table is in
    an aggregate layer (`PREVIEWED_LAYERS`), only of those the BI copy may hold."""
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    schema = dg.TableSchema(columns=[dg.TableColumn(name=c[0], type=c[1]) for c in columns])
    metadata: dict[str, dg.MetadataValue | int | str] = {
        "dagster/row_count": rows, "dagster/column_schema": schema, "dagster/table_name": table}
    if table.split(".")[0] in PREVIEWED_LAYERS:
        names = [c[0] for c in columns]
        rows_shown = row_filter(names, audience_classes("bi"))  # no health rows of a special-category measure
        preview = con.execute(f"SELECT * FROM {table} WHERE {rows_shown} LIMIT {PREVIEW_ROWS}").fetchall()
        metadata["preview"] = dg.MetadataValue.table(
            records=[dg.TableRecord({n: _plain(v) for n, v in zip(names, row, strict=True)}) for row in preview],
            schema=schema)
    return metadata


def described(table: str, where: str) -> str:
    """An asset's description: its table's (warehouse/dictionary.py: the same text the published copies carry as
    the table's comment), then where its code is."""
    return f"{table_descriptions()[table]} {where}"


# Reference data (lookups, the Census, IMD, the gazetteer, the registers) and the catalogue, from landing to the
# core dimensions built from them: one group, left of the service data that is conformed against it.
REFERENCE_GROUP = "reference"


def sql_model_asset(schema: str, name: str, sql: str, group: str | None = None) -> dg.AssetsDefinition:
    """An asset that (re)builds `schema.name` from the SQL file warehouse/sql/<schema>/<name>.sql, in the asset
    group `group` (default: the schema). Its leading `--` comment is the description; its dependencies are the
    tables the SQL names."""
    table = f"{schema}.{name}"
    description = leading_comment(sql)
    if appends(sql):
        description += " On an incremental night only the rows of newly staged files are added."

    @dg.asset(key=table_key(table), group_name=group or schema, kinds={"duckdb", "sql"}, owners=POLICY_OWNERS,
              deps=[table_key(t) for t in referenced_tables(sql) if t != table], code_version=code_version(sql),
              description=f"{description} SQL: warehouse/sql/{schema}/{name}.sql")
    def _model(context, warehouse: WarehouseResource) -> dg.MaterializeResult:  # context: AssetExecutionContext
        with warehouse.connect() as con:
            mode, why = build_model(con, table, sql, context.run_id)
            return dg.MaterializeResult(metadata={**table_metadata(con, table), "build_mode": mode,
                                                  "build_mode_reason": why})

    return _model


def run_settings(settings: SettingsResource, warehouse: WarehouseResource) -> Settings:
    """The run's settings, for an asset that also writes the working warehouse. Refuses a run whose settings name
    another working warehouse than the one the warehouse resource opens (a launchpad `data_dir` without the
    matching `resources.warehouse.config.database`): it would load one folder's files into another's warehouse
    and publish that warehouse into the first folder."""
    resolved = settings.get()
    check_council_thresholds(resolved.council)  # a misspelt source in the profile fails the run, naming it
    if resolved.warehouse_path != Path(warehouse.path).expanduser().resolve():
        raise dg.Failure(f"The settings name the working warehouse {resolved.warehouse_path}, but the warehouse "
                         f"resource opens {warehouse.path}. Set resources.warehouse.config.database to match "
                         "(or leave data_dir unset). Nothing was loaded or published.")
    return resolved
