"""The finance ledger's financial periods as calendar months (sources/finance_ledger/staging.sql), run on a
hand-made raw table, no night: period 1 is April of the year's first half, 9 December, 10 January of the next
calendar year, 12 March; 13 to 16 (year-end adjustments) belong to no month."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sources import CONTRACTS
from warehouse.db import ensure_schemas, prepare

LEDGER = CONTRACTS["finance_ledger"]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schemas(con)
    prepare(con)  # the key tests/conftest.py sets
    con.execute("""CREATE TABLE raw.finance_ledger ("Cost Centre" VARCHAR, "Cost Centre Name" VARCHAR,
                   "Account" VARCHAR, "Account Name" VARCHAR, "Financial Year" VARCHAR, "Period" VARCHAR,
                   "Actual" VARCHAR, _source_file VARCHAR, _file_sha256 VARCHAR, _row_number BIGINT)""")
    return con


@pytest.mark.parametrize(("year", "period", "month"), [
    ("2025/26", "1", dt.date(2025, 4, 1)), ("2025/26", "9", dt.date(2025, 12, 1)),
    ("2025/26", "10", dt.date(2026, 1, 1)), ("2025/26", "12", dt.date(2026, 3, 1)),
    ("2024/2025", "11", dt.date(2025, 2, 1)), ("2025/26", "13", None), ("2025/26", "16", None)])
def test_a_financial_period_is_its_calendar_month(con, year, period, month) -> None:
    con.execute("INSERT INTO raw.finance_ledger VALUES ('CC1', 'Waste', '4000', 'Pay', ?, ?, '(1,250.50)', 'f.csv', "
                "'f', 1)", [year, period])
    (month_start, amount, reason, scope), = con.execute(
        f"SELECT month_start, amount, _reject_reason, _scope_reason FROM ({LEDGER.staging_sql()})").fetchall()
    assert (month_start, amount, reason) == (month, -1250.50, None)
    assert (scope is not None) == (month is None)  # an adjustment period is out of scope, not quarantined
