"""Several councils' published nights in one DuckLake (warehouse/lake.py): catalog on a PostgreSQL server these tests
start from Debian's package, data in a folder or in moto's S3 on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from outputs.publication import lake_citation, open_published
from pipelines.lake_run import Reader
from tests.conftest import build_outputs_fixture, copy_fixture, query
from tests.lake_helpers import new_lake, postgres_server, s3_server, same_rows
from warehouse import lake as lake_module
from warehouse.lake import (
    LAKE,
    Lake,
    LakeCommitFailed,
    connect,
    export_copy,
    lake_from_env,
    maintain,
    publish_night,
    read_citation,
    snapshot_for_night,
    write_citation,
)
from warehouse.secrets import redact

pytestmark = pytest.mark.night  # nights committed to a lake

NIGHT = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as server:
        yield server


@pytest.fixture
def lake(postgres, tmp_path):
    return new_lake(postgres, str(tmp_path / "lake-data"))


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> tuple[Path, Path]:
    """Two nights' published copies: the outputs fixture, then the same with one value changed and one row gone
    (measure_values), a table whose row count stays but whose content changes (publish_info), and one table added."""
    folder = tmp_path_factory.mktemp("copies")
    first = build_outputs_fixture(folder / "first.duckdb")
    second = folder / "second.duckdb"
    shutil.copyfile(first, second)
    with duckdb.connect(str(second)) as con:
        con.execute("UPDATE marts.measure_values SET value = value + 1 WHERE measure_id = 'asb_incidents' "
                    "AND area_type = 'district'")
        con.execute("DELETE FROM marts.measure_values WHERE rowid = (SELECT min(rowid) FROM marts.measure_values)")
        con.execute("UPDATE marts.publish_info SET published_at = published_at + INTERVAL 1 DAY")
        con.execute("CREATE TABLE marts.added_tonight AS SELECT 1 AS x")
    return first, second


def _published_tables(path: Path) -> list[tuple[str, str]]:
    return query(path, "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts', "
                       "'audit') ORDER BY ALL")


def _lake_equals_copy(con: duckdb.DuckDBPyConnection, council: str, copy: Path, at: str = "") -> None:
    con.execute(f"ATTACH IF NOT EXISTS '{copy}' AS {copy.stem} (READ_ONLY)")
    tables = _published_tables(copy)
    assert tables, "the copy has tables to compare"
    for schema, table in tables:
        assert same_rows(con, f"{LAKE}.{council}_{schema}.{table}{at}", f"{copy.stem}.{schema}.{table}"), \
            f"{council}_{schema}.{table}{at} differs from {copy.name}"


def test_no_lake_unless_configured_and_a_half_configured_lake_is_refused(monkeypatch):
    monkeypatch.delenv("BDC_LAKE_CATALOG", raising=False)
    assert lake_from_env() is None  # `make run`: single-file mode, no PostgreSQL
    monkeypatch.setenv("BDC_LAKE_CATALOG", "dbname=ducklake host=127.0.0.1")
    monkeypatch.delenv("BDC_LAKE_DATA_PATH", raising=False)
    with pytest.raises(ValueError, match="BDC_LAKE_DATA_PATH is not"):
        lake_from_env()
    monkeypatch.setenv("BDC_LAKE_DATA_PATH", "s3://bucket/lake/")
    monkeypatch.setenv("BDC_LAKE_S3_SECRET", "canary-secret-value")
    assert "canary-secret-value" not in repr(lake_from_env())


def test_a_night_is_one_snapshot_holding_exactly_the_published_copy(lake, copies):
    first, second = copies
    publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
    con = connect(lake, read_only=True)
    before = con.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone()[0]
    con.close()
    committed = publish_night(lake, "bromsgrove", second, NIGHT + dt.timedelta(days=1), "run-2")
    con = connect(lake, read_only=True)
    snapshots = con.execute("SELECT snapshot_id, commit_message, commit_extra_info FROM ducklake_snapshots('lake') "
                            "ORDER BY snapshot_id").fetchall()
    assert len(snapshots) == before + 1  # the whole night in one commit
    assert snapshots[-1][0] == committed["snapshot_id"]
    assert snapshots[-1][1] == "bromsgrove: published night 2026-11-27"
    # Only what changed was rewritten: measure_values (a value and a row), publish_info (a value) and the new table.
    assert committed["tables_replaced"] == 3
    assert committed["tables_unchanged"] == len(_published_tables(first)) - 2
    _lake_equals_copy(con, "bromsgrove", second)
    assert con.execute(f"SELECT night, run_id FROM {LAKE}.bromsgrove_meta.nights ORDER BY night").fetchall() == [
        (NIGHT, "run-1"), (NIGHT + dt.timedelta(days=1), "run-2")]


def test_time_travel_returns_an_earlier_night_exactly(lake, copies, tmp_path):
    first, second = copies
    publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
    publish_night(lake, "bromsgrove", second, NIGHT + dt.timedelta(days=2), "run-2")
    con = connect(lake, read_only=True)
    night_one = snapshot_for_night(con, "bromsgrove", NIGHT)
    assert snapshot_for_night(con, "bromsgrove", NIGHT + dt.timedelta(days=1)) == night_one  # a quiet night between
    assert snapshot_for_night(con, "bromsgrove", NIGHT - dt.timedelta(days=1)) is None
    assert snapshot_for_night(con, "redditch", NIGHT) is None  # another council's nights are its own
    _lake_equals_copy(con, "bromsgrove", first, at=f" AT (VERSION => {night_one})")
    _lake_equals_copy(con, "bromsgrove", second)
    when = con.execute("SELECT snapshot_time FROM ducklake_snapshots('lake') WHERE snapshot_id = ?",
                       [night_one]).fetchone()[0]
    assert same_rows(con, f"{LAKE}.bromsgrove_marts.measure_values AT (TIMESTAMP => '{when.isoformat()}')",
                     "first.marts.measure_values")
    assert not same_rows(con, f"{LAKE}.bromsgrove_marts.measure_values", "first.marts.measure_values")
    con.close()
    # A file of the earlier night, for tools that need one.
    exported = tmp_path / "bromsgrove-night-one.duckdb"
    assert export_copy(lake, "bromsgrove", exported, snapshot=night_one) == len(_published_tables(first))
    with duckdb.connect() as check:
        check.execute(f"ATTACH '{exported}' AS exported (READ_ONLY); ATTACH '{first}' AS first (READ_ONLY)")
        for schema, table in _published_tables(first):
            assert same_rows(check, f"exported.{schema}.{table}", f"first.{schema}.{table}")


def test_a_past_night_re_run_later_stands_for_that_night_only(lake, copies):
    first, second = copies
    publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
    publish_night(lake, "bromsgrove", second, NIGHT + dt.timedelta(days=1), "run-2")
    rerun = publish_night(lake, "bromsgrove", second, NIGHT, "re-run-of-night-1")["snapshot_id"]  # BDC_AS_OF
    con = connect(lake, read_only=True)
    assert snapshot_for_night(con, "bromsgrove", NIGHT) == rerun
    night_two = snapshot_for_night(con, "bromsgrove", NIGHT + dt.timedelta(days=5))
    assert night_two != rerun
    assert con.execute("SELECT json_extract_string(commit_extra_info, '$.run_id') FROM ducklake_snapshots('lake') "
                       "WHERE snapshot_id = ?", [night_two]).fetchone()[0] == "run-2"


def test_a_withdrawn_table_leaves_the_present_and_stays_in_the_past(lake, copies, tmp_path):
    first, second = copies
    publish_night(lake, "bromsgrove", second, NIGHT, "run-1")
    committed = publish_night(lake, "bromsgrove", first, NIGHT + dt.timedelta(days=1), "run-2")  # no added_tonight
    assert committed["tables_withdrawn"] == 1
    con = connect(lake, read_only=True)
    with pytest.raises(duckdb.CatalogException):
        con.execute(f"FROM {LAKE}.bromsgrove_marts.added_tonight")
    night_one = snapshot_for_night(con, "bromsgrove", NIGHT)
    assert con.execute(f"FROM {LAKE}.bromsgrove_marts.added_tonight AT (VERSION => {night_one})").fetchall() == [(1,)]


def test_two_councils_commit_at_once_with_a_reader_throughout_and_nothing_is_lost(lake, copies):
    first, second = copies
    nights = [NIGHT + dt.timedelta(days=k) for k in range(4)]
    plan = {"bromsgrove": [first, second, first, second], "redditch": [second, first, second, first]}
    failures: list[BaseException] = []

    def council_nights(council: str) -> None:
        try:
            for night, copy in zip(nights, plan[council], strict=True):
                publish_night(lake, council, copy, night, f"{council}-{night}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    connect(lake).close()  # the lake exists before the reader attaches (as pipelines/lake_run.py does)
    reader = Reader(lake, interval=0.01)
    reading = threading.Thread(target=reader.run)
    writers = [threading.Thread(target=council_nights, args=(c,)) for c in plan]
    reading.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    reader.stop()
    reading.join()
    assert failures == []
    assert reader.errors == []
    assert reader.queries >= 1
    con = connect(lake, read_only=True)
    for council, copies_in_order in plan.items():
        assert [r[0] for r in con.execute(f"SELECT night FROM {LAKE}.{council}_meta.nights ORDER BY night")
                .fetchall()] == nights
        for night, copy in zip(nights, copies_in_order, strict=True):  # every night of each, exactly
            _lake_equals_copy(con, council, copy, at=f" AT (VERSION => {snapshot_for_night(con, council, night)})")


def test_a_conflicting_commit_is_retried_and_lands(lake, copies, monkeypatch, caplog):
    """Another writer replaces a table of this council while this night's commit is under way (e.g. a re-run
    started by hand): DuckLake refuses the later commit, and it is retried from the start."""
    first, second = copies
    publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
    inside, release = threading.Event(), threading.Event()
    real = lake_module._fingerprint

    def paused(con, table):  # the first call only: the commit is open and has read the lake
        if not inside.is_set():
            inside.set()
            assert release.wait(30)
        return real(con, table)

    monkeypatch.setattr(lake_module, "_fingerprint", paused)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(
        publish_night(lake, "bromsgrove", second, NIGHT + dt.timedelta(days=1), "run-2")))
    with caplog.at_level(logging.WARNING, logger="warehouse.lake"):
        worker.start()
        assert inside.wait(30)
        other = connect(lake)
        other.execute(f"CREATE OR REPLACE TABLE {LAKE}.bromsgrove_marts.measure_values AS "
                      f"SELECT * FROM {LAKE}.bromsgrove_marts.measure_values")
        other.close()
        release.set()
        worker.join()
    assert "met another writer's" in caplog.text
    assert result["snapshot_id"] is not None
    con = connect(lake, read_only=True)
    _lake_equals_copy(con, "bromsgrove", second)


def test_a_commit_that_keeps_conflicting_fails_clearly(lake, copies, monkeypatch):
    first, second = copies
    publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
    real = lake_module._fingerprint

    def conflicting(con, table):  # every attempt: another writer replaces the table this commit is about to
        if table == f"{LAKE}.bromsgrove_marts.measure_values":
            other = connect(lake)
            other.execute(f"CREATE OR REPLACE TABLE {table} AS FROM {table}")
            other.close()
        return real(con, table)

    monkeypatch.setattr(lake_module, "_fingerprint", conflicting)
    monkeypatch.setattr(lake_module.time, "sleep", lambda _s: None)
    with pytest.raises(LakeCommitFailed, match="bromsgrove's night 2026-11-27 was not committed to the lake after 3"):
        publish_night(lake, "bromsgrove", second, NIGHT + dt.timedelta(days=1), "run-2", attempts=3)
    con = connect(lake, read_only=True)
    assert con.execute(f"SELECT max(night) FROM {LAKE}.bromsgrove_meta.nights").fetchone()[0] == NIGHT


def test_the_lake_on_s3_compatible_storage(postgres, copies):
    import boto3

    first, _ = copies
    with s3_server() as endpoint:
        s3 = boto3.client("s3", endpoint_url=f"http://{endpoint}", aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="eu-west-2")
        s3.create_bucket(Bucket="council-lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        lake = new_lake(postgres, "s3://council-lake/published/", s3_endpoint=endpoint, s3_key_id="testing",
                        s3_secret="testing", s3_use_ssl=False)
        publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="council-lake").get("Contents", [])]
        assert any(k.startswith("published/bromsgrove_marts/") and k.endswith(".parquet") for k in keys)
        con = connect(lake, read_only=True)
        _lake_equals_copy(con, "bromsgrove", first)


def test_maintenance_keeps_every_night_unless_told_and_then_expires_old_ones(lake, copies):
    first, second = copies
    for k, copy in enumerate([first, second, first, second, first]):
        publish_night(lake, "bromsgrove", copy, NIGHT + dt.timedelta(days=k), f"run-{k}")
    maintain(lake, NIGHT + dt.timedelta(days=5), keep_days=None)
    con = connect(lake, read_only=True)
    night_two = snapshot_for_night(con, "bromsgrove", NIGHT + dt.timedelta(days=1))
    night_four = snapshot_for_night(con, "bromsgrove", NIGHT + dt.timedelta(days=3))
    _lake_equals_copy(con, "bromsgrove", second, at=f" AT (VERSION => {night_two})")  # still there after merging
    con.close()
    # Keep 2 days before the 5th night: the 3rd night stands for the cutoff; the 1st and 2nd go, the 4th stays.
    assert maintain(lake, NIGHT + dt.timedelta(days=4), keep_days=2)["snapshots_expired"] == 2
    con = connect(lake, read_only=True)
    _lake_equals_copy(con, "bromsgrove", second, at=f" AT (VERSION => {night_four})")
    con.close()
    expired = maintain(lake, NIGHT + dt.timedelta(days=4), keep_days=0)  # nights before the 5th night go
    assert expired["snapshots_expired"] == 2
    con = connect(lake, read_only=True)
    with pytest.raises(duckdb.Error):
        con.execute(f"FROM {LAKE}.bromsgrove_marts.measure_values AT (VERSION => {night_two})").fetchall()
    _lake_equals_copy(con, "bromsgrove", first)  # the present is untouched


def test_a_council_quiet_for_weeks_keeps_the_night_that_stands_for_it(lake, copies):
    first, second = copies
    redditch = publish_night(lake, "redditch", second, NIGHT, "redditch-1")["snapshot_id"]
    for k, copy in enumerate([first, second, first, second]):
        publish_night(lake, "bromsgrove", copy, NIGHT + dt.timedelta(days=k), f"run-{k}")
    maintain(lake, NIGHT + dt.timedelta(days=30), keep_days=7)  # every night is older than the cutoff
    con = connect(lake, read_only=True)
    assert snapshot_for_night(con, "redditch", NIGHT + dt.timedelta(days=30)) == redditch
    _lake_equals_copy(con, "redditch", second, at=f" AT (VERSION => {redditch})")
    _lake_equals_copy(con, "bromsgrove", second)


def test_a_renamed_column_or_a_changed_type_is_not_taken_for_unchanged(lake, copies, tmp_path):
    first, _ = copies
    publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(first, changed)
    with duckdb.connect(str(changed)) as con:  # same rows, same values: only the name and the type differ
        con.execute("ALTER TABLE marts.publish_info RENAME COLUMN run_id TO published_by_run")
        con.execute("CREATE OR REPLACE TABLE core.dim_area AS SELECT * REPLACE (area_code::VARCHAR(20) AS area_code) "
                    "FROM core.dim_area")
    committed = publish_night(lake, "bromsgrove", changed, NIGHT + dt.timedelta(days=1), "run-2")
    assert committed["tables_replaced"] >= 1
    con = connect(lake, read_only=True)
    assert "published_by_run" in [c[0] for c in con.execute(
        f"DESCRIBE {LAKE}.bromsgrove_marts.publish_info").fetchall()]


def test_a_copy_replaced_by_another_run_is_not_committed_as_this_one(lake, copies):
    first, _ = copies
    published_by = query(first, "SELECT max_by(run_id, published_at) FROM marts.publish_info")[0][0]
    with pytest.raises(LakeCommitFailed, match="not committed for this night"):
        publish_night(lake, "bromsgrove", first, NIGHT, "this-run", copy_of_run="this-run")
    assert publish_night(lake, "bromsgrove", first, NIGHT, published_by, copy_of_run=published_by)["snapshot_id"]


def test_a_lake_error_never_shows_the_catalog_password(tmp_path, copies):
    first, _ = copies
    unreachable = Lake(catalog="dbname=ducklake host=127.0.0.1 port=1 user=lake password=canary-lake-pw-4412",
                       data_path=str(tmp_path / "lake"))
    with pytest.raises(LakeCommitFailed) as failed:
        publish_night(unreachable, "bromsgrove", first, NIGHT, "run-1")
    assert "canary-lake-pw-4412" not in str(failed.value) and "password=[redacted]" in str(failed.value)
    assert "canary-lake-pw-4412" not in redact(unreachable.catalog)  # as run-lake's summary prints it


def test_a_citation_belongs_only_to_the_copy_its_run_published(tmp_path):
    copy = build_outputs_fixture(tmp_path / "published.duckdb")
    run_id = query(copy, "SELECT max_by(run_id, published_at) FROM marts.publish_info")[0][0]
    write_citation(copy, "bromsgrove", NIGHT, run_id, 42)
    assert read_citation(copy, run_id) == "lake snapshot 42 (bromsgrove, night 2026-11-26)"
    with open_published(copy) as con:
        assert lake_citation(con) == "lake snapshot 42 (bromsgrove, night 2026-11-26)"
    write_citation(copy, "bromsgrove", NIGHT, "an-earlier-run", 41)
    with open_published(copy) as con:
        assert lake_citation(con) is None


def test_the_nightly_job_commits_its_published_copy_to_the_lake(lake, warehouse_env, run_pipeline, monkeypatch):
    monkeypatch.setenv("BDC_LAKE_CATALOG", lake.catalog)
    monkeypatch.setenv("BDC_LAKE_DATA_PATH", lake.data_path)
    copy_fixture(warehouse_env)
    outcome = run_pipeline()
    assert outcome.success
    published = warehouse_env.published_path
    con = connect(lake, read_only=True)
    _lake_equals_copy(con, "bromsgrove", published)
    assert con.execute(f"SELECT count(*) FROM {LAKE}.bromsgrove_marts.measure_values").fetchone()[0] > 0
    run_id = query(published, "SELECT max_by(run_id, published_at) FROM marts.publish_info")[0][0]
    snapshot = snapshot_for_night(con, "bromsgrove", warehouse_env.as_of)
    assert read_citation(published, run_id) == f"lake snapshot {snapshot} (bromsgrove, night {warehouse_env.as_of})"
    # The analyst copy (record-level facts) never reaches the lake: only the BI copy's tables are there.
    lake_tables = {(s.removeprefix("bromsgrove_"), t) for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake' "
        "AND schema_name <> 'bromsgrove_meta'").fetchall()}
    assert lake_tables == set(_published_tables(published))


def test_the_maintenance_command_keeps_every_night_by_default(lake, copies, monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.delenv("BDC_LAKE_CATALOG", raising=False)
    assert main(["lake-maintain"]) == 1
    assert "No lake configured" in capsys.readouterr().out
    first, second = copies
    publish_night(lake, "bromsgrove", first, NIGHT, "run-1")
    publish_night(lake, "bromsgrove", second, NIGHT + dt.timedelta(days=1), "run-2")
    monkeypatch.setenv("BDC_LAKE_CATALOG", lake.catalog)
    monkeypatch.setenv("BDC_LAKE_DATA_PATH", lake.data_path)
    monkeypatch.delenv("BDC_LAKE_KEEP_DAYS", raising=False)
    assert main(["lake-maintain"]) == 0
    assert "0 snapshots expired (every night kept)" in capsys.readouterr().out
    con = connect(lake, read_only=True)
    _lake_equals_copy(con, "bromsgrove", first, at=f" AT (VERSION => {snapshot_for_night(con, 'bromsgrove', NIGHT)})")
