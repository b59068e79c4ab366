"""The published copy is rewritten without its free space only when that space is worth a night's rewrite: more
than BDC_PUBLISHED_COMPACT_ABOVE of its blocks free and at least BDC_PUBLISHED_COMPACT_MIN_MB of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from warehouse import clock
from warehouse.publish import COMPACTED, publish

ROWS = 200_000  # 32 hex characters each, which do not compress: a table of about 7 MB in the copy


def _free(path: Path) -> tuple[int, int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT free_blocks, total_blocks, block_size FROM pragma_database_size()").fetchone()


@pytest.fixture
def churned(tmp_path: Path):
    """A warehouse published once, then its one published table replaced: publishing again replaces the table
    in the copy, whose old blocks (about half the file) become free."""
    working, copy = tmp_path / "working.duckdb", tmp_path / "published.duckdb"
    with duckdb.connect(str(working)) as con, clock.night_of(dt.date(2026, 11, 26)):
        con.execute("""CREATE SCHEMA audit; CREATE SEQUENCE audit.build_seq;
                       CREATE TABLE audit.model_state (table_name VARCHAR, rebuilt_seq BIGINT); CREATE SCHEMA marts;""")
        con.execute(f"CREATE TABLE marts.measure_values AS SELECT md5(range::VARCHAR) AS v FROM range({ROWS})")
        publish(con, copy, "run-1")
        con.execute(f"CREATE OR REPLACE TABLE marts.measure_values AS SELECT md5((range + 1)::VARCHAR) AS v "
                    f"FROM range({ROWS})")
        yield con, copy


def test_a_few_free_megabytes_are_left_for_duckdb_to_reuse(churned):
    con, copy = churned
    with clock.night_of(dt.date(2026, 11, 27)):
        counts = publish(con, copy, "run-2", compact_above=0.25)  # the default floor: 64 MiB
    free, total, block_size = _free(copy)
    assert COMPACTED not in counts
    assert free / total > 0.25 and 1 << 20 < free * block_size < 64 << 20  # worth rewriting by share, not by size


def test_free_space_above_both_the_share_and_the_floor_is_compacted(churned, monkeypatch):
    con, copy = churned
    monkeypatch.setenv("BDC_PUBLISHED_COMPACT_MIN_MB", "1")
    with clock.night_of(dt.date(2026, 11, 27)):
        counts = publish(con, copy, "run-2", compact_above=0.25)
    assert counts[COMPACTED] > copy.stat().st_size  # the size before, larger than the rewritten file
    assert _free(copy)[0] == 0


def test_free_space_under_the_share_is_not_compacted_however_large(churned):
    con, copy = churned
    with clock.night_of(dt.date(2026, 11, 27)):
        counts = publish(con, copy, "run-2", compact_above=0.9, compact_min_bytes=0)
    assert COMPACTED not in counts
    assert _free(copy)[0] > 0


def test_the_copy_keeps_its_alerts_when_the_alerts_database_is_not_there(churned, tmp_path):
    # A run whose BDC_ALERTS_PATH points elsewhere (or before any alert) must not empty the alerts the copy holds;
    # with no alerts anywhere yet, the copy holds the table empty.
    from warehouse.alerts_table import alerts_ddl

    con, copy = churned
    with duckdb.connect(str(copy), read_only=True) as published:
        assert published.execute("SELECT count(*) FROM audit.alerts").fetchone() == (0,)  # the first publish's
    alerts = tmp_path / "alerts.duckdb"
    with duckdb.connect(str(alerts)) as db:
        db.execute(alerts_ddl())
        db.execute("INSERT INTO audit.alerts (alert_key, raised_at, kind, severity, title, body, recipients) VALUES "
                   "('k1', TIMESTAMP '2026-11-27 03:00', 'run_failed', 'ERROR', 'A run failed', 'body', 'x@y')")
    with clock.night_of(dt.date(2026, 11, 27)):
        assert publish(con, copy, "run-2", alerts_path=alerts)["audit.alerts"] == 1
        assert publish(con, copy, "run-3", alerts_path=None)["audit.alerts"] == 1
        assert publish(con, copy, "run-4", alerts_path=tmp_path / "elsewhere.duckdb")["audit.alerts"] == 1
