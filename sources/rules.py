"""Pandera contracts for the staged sources, validated inside DuckDB through pandera's ibis backend.

A contract has two parts, both pandera:
- **row rules**: DataFrame-level checks that judge one row at a time (key unique across deliveries, dates
  not in the future and inside the delivery's month, one date not before another, no spreadsheet formulas
  in text). They run on the candidate staging rows before staging is written; the rows that fail are
  quarantined with the check's name, file and row number. Each rule is an ibis boolean expression, so
  pandera compiles it to SQL that DuckDB runs: nothing is pulled into pandas.
- **the schema**: every staged column's type, nullability, closed code list and range, plus key uniqueness.
  It validates the staged table after the row rules have taken the bad rows out; a failure there means the
  staging SQL let something through, and the source's `well_defined` check fails.
Each source declares its staged fields and rules once, in `sources/<name>/contract.py`; this module
generates the pandera checks from that declaration.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from sources.contract import RowRule, SourceContract

if TYPE_CHECKING:
    import ibis
    import pandera.ibis as pa

FAILURE_SAMPLE = 5
LINEAGE = ("_source_file", "_file_sha256", "_row_number")
FORMULA_PATTERN = r"^\s*[=+@]|^\s*-\s*[A-Za-z(]"  # how a spreadsheet formula starts (not a negative number)


@functools.cache
def _rule_code() -> str:
    """The code that turns a declaration into checks (read once per process)."""
    # This module turns declarations into checks; sources/fields.py holds the shared fields and the extra rule
    # (a known catalogue measure) that declarations use.
    code = (Path(__file__), Path(__file__).with_name("fields.py"))
    return "".join(path.read_text(encoding="utf-8") for path in code)


def row_rules(contract: SourceContract) -> list[RowRule]:
    """Every row rule of a contract, generated from its declaration, then its extra rules."""
    return [*_key_rules(contract.key, contract.key_scope), *_future_rules(contract.not_future),
            *_period_rules(contract.period_column), *_order_rules(contract.order),
            *_formula_rules(contract.formula_screened), *contract.extra_rules]


def rules_version(contract: SourceContract) -> str:
    """Identifies a source's staged rules: its own declaration of them and the code that turns a declaration
    into checks (this module and the shared fields). Another source's rules do not change it. Incremental
    staging re-stages the source in full when it changes."""
    declared = repr((contract.name, contract.staged, contract.key, contract.key_scope, contract.period_column,
                     contract.order, contract.not_future, contract.formula_screened,
                     [r.name for r in contract.extra_rules]))
    return hashlib.sha256((declared + _rule_code()).encode()).hexdigest()


def schema(contract: SourceContract) -> pa.DataFrameSchema:
    """The pandera (ibis) schema of the staged table."""
    import ibis.expr.datatypes as dt
    import pandera.ibis as pa

    columns = {}
    for name, spec in contract.staged.items():
        checks = []
        if spec.isin is not None:
            checks.append(pa.Check.isin(list(spec.isin), n_failure_cases=FAILURE_SAMPLE))
        if spec.ge is not None:
            checks.append(pa.Check.ge(spec.ge, n_failure_cases=FAILURE_SAMPLE))
        if spec.le is not None:
            checks.append(pa.Check.le(spec.le, n_failure_cases=FAILURE_SAMPLE))
        if spec.pattern is not None:
            checks.append(pa.Check.str_matches(f"^(?:{spec.pattern})$", n_failure_cases=FAILURE_SAMPLE))
        columns[name] = pa.Column(dt.dtype(spec.dtype), nullable=spec.nullable, checks=checks)
    # Uniqueness across the whole table: only where the key applies to all deliveries and is never blank
    # (police.uk anti-social behaviour rows have no Crime ID, and pandera counts blanks as equal).
    key = contract.key
    unique = contract.key_scope == "all deliveries" and key and not contract.staged[key[0]].nullable
    return pa.DataFrameSchema(columns, unique=list(key) if unique else None, name=f"staging.{contract.name}")


def _label(column: str) -> str:
    return column.replace("_", " ").capitalize()


def _key_rules(key: tuple[str, ...], scope: str) -> list[RowRule]:
    if not key:
        return []
    import ibis

    def key_window(t: ibis.Table) -> ibis.expr.builders.LegacyWindowBuilder:
        group = [t[c] for c in key] + ([t._file_sha256] if scope == "each file" else [])
        return ibis.window(group_by=group, order_by=[t._source_file, t._row_number])

    def first_delivery(t: ibis.Table) -> ibis.Column:
        return t[key[0]].isnull() | (ibis.row_number().over(key_window(t)) == 0)

    def reason(t: ibis.Table) -> ibis.Column:
        window = key_window(t)
        first_file = t._source_file.first().over(window).re_extract(r"([^/\\]+)$", 1)
        first_row = t._row_number.first().over(window).cast("string")
        return ibis.literal(f"duplicate key ({', '.join(key)}): first delivered in ") + first_file + \
            ibis.literal(" row ") + first_row

    return [RowRule("unique_key", "reliable", first_delivery, reason)]


DELIVERED_ON = "_delivered_on"  # the night each candidate row's file was loaded (see sources/staging.py)


def _future_rules(columns: tuple[str, ...]) -> list[RowRule]:
    """A date or time after the night its file was delivered cannot have happened yet. Judged against the
    file's delivery night, not the run's, so re-staging the same file on a later night gives the same verdict
    (and an incremental night the same as a full re-stage)."""
    import ibis

    rules = []
    for column in columns:
        def passes(t: ibis.Table, c: str = column) -> ibis.Column:
            if DELIVERED_ON not in t.columns:  # rows staged on an earlier night: judged when they came
                return ibis.literal(True)
            day = t[DELIVERED_ON]
            next_day = day.cast("timestamp") + ibis.interval(days=1)
            after = (t[c] >= next_day) if t[c].type().is_timestamp() else (t[c] > day)
            return t[c].isnull() | day.isnull() | ~after

        def reason(t: ibis.Table, c: str = column) -> ibis.Column:
            delivered = t[DELIVERED_ON].cast("string") if DELIVERED_ON in t.columns else ibis.literal("?")
            return (ibis.literal(f"{_label(c)} ") + t[c].cast("string")
                    + ibis.literal(" is in the future (after the file was delivered on ") + delivered
                    + ibis.literal(")"))

        rules.append(RowRule(f"{column}_not_in_future", "accurate", passes, reason))
    return rules


def delivery_month(t: ibis.Table) -> ibis.Column:
    """The month a delivery is for, from the YYYY-MM in its file name (null when the name has none)."""
    text = t._source_file.re_extract(r"(\d{4}-\d{2})[^/\\]*$", 1)
    return (text.nullif("") + "-01").cast("date")


def _period_rules(column: str | None) -> list[RowRule]:
    if column is None:
        return []
    import ibis

    def passes(t: ibis.Table) -> ibis.Column:
        month = delivery_month(t)
        value = t[column].cast("date")
        return month.isnull() | value.isnull() | (
            (value >= month) & (value < month.cast("timestamp") + ibis.interval(months=1)))

    def reason(t: ibis.Table) -> ibis.Column:
        return (ibis.literal(f"{_label(column)} ") + t[column].cast("string")
                + ibis.literal(" is outside the delivery's month ") + delivery_month(t).strftime("%Y-%m"))

    return [RowRule("in_delivery_period", "accurate", passes, reason)]


def _order_rules(pairs: tuple[tuple[str, str], ...]) -> list[RowRule]:
    import ibis

    rules = []
    for earlier, later in pairs:
        def passes(t: ibis.Table, a: str = earlier, b: str = later) -> ibis.Column:
            return t[a].isnull() | t[b].isnull() | (t[b] >= t[a])

        def reason(t: ibis.Table, a: str = earlier, b: str = later) -> ibis.Column:
            return (ibis.literal(f"{_label(b)} ") + t[b].cast("string") + ibis.literal(f" is before {_label(a)} ")
                    + t[a].cast("string"))

        rules.append(RowRule(f"{later}_not_before_{earlier}", "accurate", passes, reason))
    return rules


def _formula_rules(columns: tuple[str, ...]) -> list[RowRule]:
    import ibis

    rules = []
    for column in columns:
        def passes(t: ibis.Table, c: str = column) -> ibis.Column:
            return t[c].isnull() | ~t[c].re_search(FORMULA_PATTERN)

        def reason(t: ibis.Table, c: str = column) -> ibis.Column:
            # The value is not quoted: free text may name a person, and the reason reaches the BI copy and alerts.
            return ibis.literal(f"{_label(c)} looks like a spreadsheet formula (it starts with =, +, - or @; the "
                                "value is not repeated here: see the file's row)")

        rules.append(RowRule(f"{column}_not_a_formula", "well_defined", passes, reason))
    return rules


def known_value_rule(column: str, allowed: Callable[[], tuple[str, ...]], what: str,
                     criterion: str = "well_defined") -> RowRule:
    """A row rule: `column` must be one of `allowed()` (read when the rule runs, e.g. the catalogue's ids)."""
    import ibis

    def passes(t: ibis.Table) -> ibis.Column:
        return t[column].isnull() | t[column].isin(list(allowed()))

    def reason(t: ibis.Table) -> ibis.Column:
        return ibis.literal(f"{_label(column)} ") + t[column] + ibis.literal(f" is not {what}")

    return RowRule(f"{column}_known", criterion, passes, reason)


def _ibis(con: duckdb.DuckDBPyConnection):
    import ibis

    return ibis.duckdb.from_connection(con)


def quarantine_rule_failures(con: duckdb.DuckDBPyConnection, contract: SourceContract,
                             table: str = "_in_scope") -> int:
    """Run the contract's row rules (as pandera checks) over `table` and write every failing row's lineage,
    check name and reason to the temp table `_rule_failures`. Returns the number of failures."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _rule_failures (
        _file_sha256 VARCHAR, _row_number BIGINT, check_name VARCHAR, criterion VARCHAR, reason VARCHAR)""")
    if not row_rules(contract):
        return 0
    key = (rules_version(contract), table, tuple(con.execute(f"DESCRIBE {table}").fetchall()))
    if key not in _RULE_SQL:  # compiling through ibis costs a second a source; the SQL is the same each night
        _RULE_SQL[key] = _rule_failures_sql(con, contract, table)
    con.execute(f"INSERT INTO _rule_failures {_RULE_SQL[key]}")
    return con.execute("SELECT count(*) FROM _rule_failures").fetchone()[0]


_RULE_SQL: dict[tuple, str] = {}  # (rules version, table, its columns) -> the rules' SQL, for this process


def _rule_failures_sql(con: duckdb.DuckDBPyConnection, contract: SourceContract, table: str) -> str:
    """The SQL pandera's ibis backend compiles the row rules to: every failing row's lineage, check and reason."""
    import ibis
    import pandera.ibis as pa

    rules = row_rules(contract)
    t = _ibis(con).table(table)
    parts = []
    for rule in rules:
        check = pa.Check(lambda data, r=rule: r.passes(data.table), name=rule.name, ignore_na=False)
        failing = check(t.mutate(_reason=rule.reason(t))).failure_cases
        parts.append(failing.select(
            "_file_sha256", "_row_number", check_name=ibis.literal(rule.name),
            criterion=ibis.literal(rule.criterion), reason=failing._reason.fill_null(rule.name)))
    union = parts[0] if len(parts) == 1 else ibis.union(*parts)
    return ibis.to_sql(union, dialect="duckdb")


@dataclass
class SchemaReport:
    """The staged table against its pandera schema: one line per failed check, with a few failing values."""

    failures: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def staged_in_run(source: str, run_id: str | None) -> str:
    """SQL condition on `_file_sha256`: the files staged in run `run_id` (every file when None). A full
    re-stage stages every file in the run; an incremental night only the new files."""
    if run_id is None:
        return "true"
    quoted = run_id.replace("'", "''")
    return (f"_file_sha256 IN (SELECT file_sha256 FROM audit.row_conservation WHERE source = '{source}' "
            f"AND run_id = '{quoted}')")


def _failing_column(column: object, check: str, case: object, table: str) -> str | None:
    """The column a pandera failure case is about. The ibis backend reports a column check's failing row as
    {column: value} under the column "failure_case", a missing column by its name as the case, and a table-wide
    check (the key unique) against the schema's name (`table`): that has no column."""
    if check == "column_in_dataframe":
        return str(case)  # the missing column's name (a name, never a value)
    if isinstance(case, dict) and len(case) == 1:
        return str(next(iter(case)))
    return None if column is None or column != column or column in ("failure_case", table) else str(column)


def validate_staged(con: duckdb.DuckDBPyConnection, contract: SourceContract,
                    run_id: str | None = None) -> SchemaReport:
    """Validate staging.<source> against the contract's schema (lazily: every failure, not just the first).
    With `run_id`, only the rows of the files staged in that run: on an incremental night the rows added
    (that no key repeats an earlier delivery's is the `unique_key` row rule's job, before staging)."""
    import pandera.ibis as pa

    con.execute(f"CREATE OR REPLACE TEMP VIEW _validated AS SELECT * FROM staging.{contract.name} "
                f"WHERE {staged_in_run(contract.name, run_id)}")
    # An empty table has nothing to judge (and pandera's ibis not-null check reads all() over no rows as null).
    if not con.execute("SELECT EXISTS (SELECT 1 FROM _validated)").fetchone()[0]:
        return SchemaReport()
    table = _ibis(con).table("_validated")
    try:
        schema(contract).validate(table, lazy=True)
    except pa.errors.SchemaErrors as errors:
        report = SchemaReport()
        counts: dict[tuple[str | None, str], int] = {}
        for column, check, case in errors.failure_cases[["column", "check", "failure_case"]].itertuples(index=False):
            named = _failing_column(column, str(check), case, f"staging.{contract.name}")
            counts[named, str(check)] = counts.get((named, str(check)), 0) + 1
        # A count, never the values: a staged value may be a UPRN or a key.
        report.failures = [{"column": c, "check": k, "failing": n} for (c, k), n in counts.items()]
        return report
    return SchemaReport()

