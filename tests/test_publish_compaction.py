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
