"""What must hold after every simulated night, checked on the published file a reader opens, and the alerts the
calendar and the faults call for.

Each check compares the warehouse with what the simulation itself knows (what it delivered and when, which
files it made bad or broken, its own copy of yesterday's published values), not with the warehouse's account
of itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from quality.lineage import downstream
from sources import CONTRACTS
from warehouse.catalogue import catalogue

IMMEDIATE = ("check_error", "run_failed", "source_overdue", "nightly_missed")  # sent at once, not digested
VALUE_KEY = ("measure_id", "period_start", "area_type", "area_code")


log = logging.getLogger("pipelines.simulation")


@dataclass
class Expected:
    """An alert the simulation calls for: `kind` about `subject`, raised between `first` and `last` (nights)."""

    kind: str
    subject: str | None
    first: dt.date
    last: dt.date
    why: str
    severity: str | None = None
    owner: str | None = None


@dataclass
class Violation:
    night: str
    invariant: str
    detail: str


def measure_sources() -> dict[str, set[str]]:
    """measure id -> the sources it is built from (the staging tables it is downstream of)."""
    reached = {c.name: downstream(f"staging.{c.name}") for c in CONTRACTS.values()}
    return {m: {source for source, tables in reached.items() if f"measures.{m}" in tables}
            for m in catalogue().measures}


class Invariants:
    """Checks each night's published file; collects violations."""

    def __init__(self, published: Path) -> None:
        self.published = published
        self.violations: list[Violation] = []
        self.values: dict[tuple, float | None] | None = None
        self.since: dt.datetime | None = None  # the simulated time of the last snapshot
        self.sources_of = measure_sources()
        self.published_bytes: list[int] = []

    def fail(self, night: dt.date, invariant: str, detail: str) -> None:
        self.violations.append(Violation(str(night), invariant, detail[:1000]))
        log.warning("night %s: invariant %s violated: %s", night, invariant, detail[:300])

    def after_night(self, night: dt.date, at: dt.datetime, bad_files: list[str]) -> None:
        """The published copy as a reader finds it at the end of `night` (simulated time `at`)."""
        if not self.published.exists():
            self.fail(night, "published_opens", "there is no published warehouse")
            return
        self.published_bytes.append(self.published.stat().st_size)
        try:
            con = duckdb.connect(str(self.published), read_only=True)
        except duckdb.Error as exc:
            self.fail(night, "published_opens", f"the published file does not open read-only: {exc}")
            return
        with con:
            self._balances(con, night)
            self._every_measure(con, night)
            self._no_failed_rows(con, night, bad_files)
            self._closed_values(con, night, at)

    def _balances(self, con: duckdb.DuckDBPyConnection, night: dt.date) -> None:
        unbalanced = con.execute("SELECT source_file FROM audit.row_conservation WHERE NOT balanced").fetchall()
        if unbalanced:
            self.fail(night, "row_conservation", f"{len(unbalanced)} file(s) do not balance: {unbalanced[:3]}")
        held = {f.get("sha256") for (files,) in con.execute(
            "SELECT files FROM audit.holds WHERE released_at IS NULL AND files IS NOT NULL").fetchall()
            for f in json.loads(files)}
        unaccounted = [name for name, sha in con.execute("""
            SELECT file_name, file_sha256 FROM audit.loaded_files WHERE superseded_by IS NULL
              AND file_sha256 NOT IN (SELECT file_sha256 FROM audit.row_conservation)""").fetchall() if sha not in held]
        if unaccounted:
            self.fail(night, "row_conservation", f"loaded but neither staged, quarantined, out of scope nor held: "
                                                 f"{unaccounted[:5]}")

    def _every_measure(self, con: duckdb.DuckDBPyConnection, night: dt.date) -> None:
        present = {r[0] for r in con.execute("SELECT DISTINCT measure_id FROM marts.measure_values").fetchall()}
        missing = sorted(set(catalogue().measures) - present)
        if missing:
            self.fail(night, "every_measure_published", f"no published values for {missing}")

    def _no_failed_rows(self, con: duckdb.DuckDBPyConnection, night: dt.date, bad_files: list[str]) -> None:
        """No row of a file the simulation made bad or broken is in any published table, then or ever."""
        tables = con.execute("""SELECT table_schema || '.' || table_name FROM information_schema.columns
                                WHERE column_name = '_file_sha256' AND table_schema IN ('core', 'marts')""").fetchall()
        for (table,) in tables:
            found = con.execute(f"SELECT count(*) FROM {table} WHERE _file_sha256 IN (SELECT unnest(?::VARCHAR[]))",
                                [bad_files]).fetchone()[0]
            if found:
                self.fail(night, "no_failed_rows_published", f"{found} row(s) of a bad or broken file in {table}")

    def _closed_values(self, con: duckdb.DuckDBPyConnection, night: dt.date, at: dt.datetime) -> None:
        """A value published before changes only with a cause (a file of one of its sources loaded since, or a
        hold released) and only when audit.measure_value_changes records it."""
        keys = ", ".join(VALUE_KEY)
        now = {tuple(r[:4]): r[4] for r in con.execute(f"SELECT {keys}, value FROM marts.measure_values").fetchall()}
        if self.values is not None:
            changed = [k for k, v in self.values.items() if k not in now or not _same(v, now[k])]
            if changed:
                loaded = {r[0] for r in con.execute(
                    "SELECT DISTINCT source FROM audit.loaded_files WHERE loaded_at > ? OR superseded_at > ?",
                    [self.since, self.since]).fetchall()}
                released = {r[0] for r in con.execute(
                    "SELECT subject FROM audit.holds WHERE released_at > ?", [self.since]).fetchall()}
                recorded = {tuple(r) for r in con.execute(
                    f"SELECT {keys} FROM audit.measure_value_changes WHERE changed_at > ?", [self.since]).fetchall()}
                for key in changed:
                    sources = self.sources_of.get(key[0], set())
                    if not (sources & loaded or sources & released or key[0] in released):
                        self.fail(night, "closed_value_changed_without_cause",
                                  f"{key}: {self.values[key]} -> {now.get(key)}; no file of {sorted(sources)} loaded "
                                  "and no hold released since the night before")
                    elif key not in recorded:
                        self.fail(night, "closed_value_change_not_recorded",
                                  f"{key}: {self.values[key]} -> {now.get(key)} not in audit.measure_value_changes")
        self.values, self.since = now, at


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a))


def check_alerts(expected: list[Expected], alerts: Path) -> tuple[list[Violation], int]:
    """Every expected alert fired once, in its window, to its owner; no other immediate alert fired. Returns
    the violations and how many immediate alerts fired."""
    fired = []
    if alerts.exists():
        with duckdb.connect(str(alerts), read_only=True) as con:
            fired = con.execute(f"""SELECT kind, coalesce(subject, ''), severity, raised_at::DATE, recipients, title
                                    FROM audit.alerts WHERE kind IN {IMMEDIATE} ORDER BY raised_at""").fetchall()
    violations, used = [], set()
    for want in expected:
        hits = [i for i, f in enumerate(fired) if f[0] == want.kind and (want.subject is None or f[1] == want.subject)
                and (want.severity is None or f[2] == want.severity) and want.first <= f[3] <= want.last
                and i not in used]
        if not hits:
            violations.append(Violation(str(want.first), "expected_alert_missing", f"{asdict(want)}"))
            continue
        used.add(hits[0])
        if want.owner and want.owner not in fired[hits[0]][4]:
            violations.append(Violation(str(want.first), "alert_to_wrong_owner",
                                        f"{want.kind} {want.subject}: {fired[hits[0]][4]} lacks {want.owner}"))
    for i, f in enumerate(fired):
        if i not in used:
            violations.append(Violation(str(f[3]), "unexpected_alert", f"{f[0]} {f[1]} {f[2]}: {f[5]}"))
    return violations, len(fired)


def owner_of(source: str) -> str:
    return CONTRACTS[source].owner.email
