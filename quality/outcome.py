"""The result of judging one source, measure or mart against one criterion, and where it is recorded."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Literal

import duckdb

from warehouse import clock

CRITERIA = ("relevant", "well_defined", "timely", "reliable", "verifiable", "accurate")
BUILT_WITH = tuple(c for c in CRITERIA if c != "timely")  # judged as a source or measure is built; timely nightly
OWNERSHIP_CHECKS = ("commentary", "sign_off")  # seed section 7: every measure commented on and signed off
Status = Literal["pass", "warn", "fail"]
SAMPLE_ROWS = 5


@dataclass
class Outcome:
    """One criterion's verdict, written for the Policy Team: what was judged, what failed, how many rows,
    a few examples and who owns it. `status` is pass, warn (a doubt: the run continues) or fail (an
    error: what depends on it is not published)."""

    subject_type: Literal["source", "measure", "mart"]
    subject: str
    criterion: str
    status: Status
    summary: str
    owner: str
    title: str = ""
    check_name: str = ""
    period: dt.date | None = None
    rows_failed: int = 0
    problems: list[str] = field(default_factory=list)
    sample: list[dict] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.criterion not in CRITERIA + OWNERSHIP_CHECKS:
            raise ValueError(f"unknown criterion {self.criterion!r}")
        self.check_name = self.check_name or self.criterion

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def verdict(subject_type: str, subject: str, criterion: str, owner: str, *, errors: list[str],
            warnings: list[str], ok: str, title: str = "", **extra: object) -> Outcome:
    """An Outcome from lists of problems: any error fails, else any warning warns, else it passes with `ok`."""
    status: Status = "fail" if errors else "warn" if warnings else "pass"
    problems = errors + warnings
    summary = ok if status == "pass" else " ".join(problems[:3]) + (
        f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
    return Outcome(subject_type, subject, criterion, status, summary, owner, title=title, problems=problems,
                   **extra)


def combine(outcomes: list[Outcome], subject_type: str, subject: str, criterion: str, default_owner: str,
            check_name: str) -> Outcome:
    """One verdict over many (e.g. a mart judged measure by measure): the worst status; the problems of the
    ones that did not pass, each prefixed with its subject; their owners; their failing rows added up."""
    failing = [o for o in outcomes if not o.passed]
    worst = max((o.status for o in outcomes), key=("pass", "warn", "fail").index, default="pass")
    problems = [f"{o.subject}: {p}" for o in failing for p in o.problems]
    owners = sorted({o.owner for o in failing}) or [default_owner]
    summary = (f"{len(failing)} of {len(outcomes)} failed. " + " ".join(problems[:3]) if failing
               else f"All {len(outcomes)} passed.")
    return Outcome(subject_type, subject, criterion, worst, summary, ", ".join(owners), check_name=check_name,
                   rows_failed=sum(o.rows_failed for o in failing), problems=problems,
                   sample=[s for o in failing for s in o.sample][:SAMPLE_ROWS])


def sample_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None,
                limit: int = SAMPLE_ROWS) -> list[dict]:
    """The first `limit` rows of a query as plain dicts (for a check's sample)."""
    cursor = con.execute(f"SELECT * FROM ({sql}) LIMIT {limit}", params or [])
    names = [d[0] for d in cursor.description]
    return [{n: _jsonable(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record(con: duckdb.DuckDBPyConnection, outcomes: list[Outcome], run_id: str) -> None:
    """Append outcomes to audit.check_results (the history behind marts.quality_scorecard)."""
    now, seq = clock.timestamp(), clock.next_build_seq(con)
    con.executemany(
        "INSERT INTO audit.check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[run_id, now, o.subject_type, o.subject, o.criterion, o.check_name, o.status, o.period, o.rows_failed,
          o.summary, json.dumps(o.sample, default=str) if o.sample else None, o.owner, seq] for o in outcomes])
