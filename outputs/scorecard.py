"""The Policy Team's data-quality scorecard in plain words: one internal page, written after each publish to
$BDC_OUTPUTS_DIR/data-quality/index.html from the published copy (`marts.quality_scorecard` for the measures,
the latest of `audit.check_results` for the sources). It opens offline: no script and nothing fetched, the
vendored GOV.UK stylesheet beside it. Great Expectations' Data Docs stay the engineers' view.

It says what needs doing and by whom: every measure, source or mart with a warning or a failure, the reason, and
the owner to act, with the measures held back. Internal, not public: it names every measure and source, and the
owners' mailboxes. Never a person's record: the checks' reasons carry counts, months, file names and aggregate
figures, never a staged value (quality/source_checks.py counts failing values without quoting them).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from outputs.folders import building
from outputs.publication import NotPublishedError, published_at
from outputs.reports import template_environment
from outputs.site import copy_stylesheets
from sources import CONTRACTS
from warehouse.council import load_council

STATUS_WORDS = {"warn": "needs a look", "fail": "do not rely on it until fixed"}
ORDER = {"fail": 0, "warn": 1}


@dataclass
class Problem:
    criterion: str
    status: str
    reason: str

    @property
    def words(self) -> str:
        return f"{self.criterion.replace('_', ' ').capitalize()}: {STATUS_WORDS[self.status]}."


@dataclass
class Subject:
    """One measure or source on the scorecard, with what is wrong with it (nothing when it passes)."""
    name: str
    title: str
    owner: str
    problems: list[Problem] = field(default_factory=list)
    held_back: str | None = None  # why it is held back, when it is

    def judged(self, criterion: str, status: str, reason: str | None) -> None:
        """Record one check's latest verdict: a warning or failure is a problem, kept failures first."""
        if status in ORDER:
            self.problems.append(Problem(criterion, status, reason or "No reason was recorded."))
            self.problems.sort(key=lambda p: (ORDER[p.status], p.criterion))

    @property
    def status(self) -> str:
        return min((p.status for p in self.problems), key=ORDER.get, default="pass")


@dataclass
class Scorecard:
    night: dt.date
    published: dt.datetime
    measures: list[Subject]
    sources: list[Subject]
    marts: list[Subject] = field(default_factory=list)

    @property
    def published_words(self) -> str:
        """'23:17 on 3 December 2026'."""
        return f"{self.published:%H:%M} on {self.published.day} {self.published:%B %Y}"

    def headline(self) -> str:
        """The night in two or three plain sentences: how many measures and sources pass, what is held back."""
        def count(subjects: list[Subject], noun: str) -> str:
            flagged = sum(1 for s in subjects if s.problems)
            if not flagged:
                return f"All {len(subjects)} {noun}s pass every check."
            verb = "needs" if flagged == 1 else "need"
            return f"{len(subjects) - flagged} of {len(subjects)} {noun}s pass every check; {flagged} {verb} a look."

        held = sum(1 for s in self.measures if s.held_back)
        sentences = [count(self.measures, "measure"), count(self.sources, "source")]
        if any(s.problems for s in self.marts):  # the marts' own checks (their totals, GX): said when not clean
            sentences.append(count(self.marts, "mart"))
        if held:
            sentences.append(f"{held} measure{' is' if held == 1 else 's are'} held back from the published copy.")
        return " ".join(sentences)

    def by_owner(self) -> dict[str, list[Subject]]:
        """Owner -> their measures and sources that need something, failures first."""
        owners: dict[str, list[Subject]] = {}
        subjects = self.measures + self.sources + self.marts
        for subject in sorted(subjects, key=lambda s: (ORDER.get(s.status, 2), s.title)):
            if subject.problems or subject.held_back:
                owners.setdefault(subject.owner, []).append(subject)
        return dict(sorted(owners.items()))


def read_scorecard(con: duckdb.DuckDBPyConnection) -> Scorecard:
    """The latest verdicts of the published copy on `con`: per measure (six criteria, commentary, sign-off), per
    source (six criteria) and per mart (its own checks: totals, Great Expectations)."""
    night = con.execute("SELECT max(as_of) FROM marts.publish_info").fetchone()[0]
    measures: dict[str, Subject] = {}
    for measure_id, title, owner, criterion, status, reason, held, held_reason in con.execute("""
            SELECT measure_id, title, owner, criterion, status, reason, held_back, held_back_reason
            FROM marts.quality_scorecard WHERE is_latest ORDER BY title, criterion""").fetchall():
        subject = measures.setdefault(measure_id, Subject(measure_id, title, owner or "no owner recorded"))
        subject.judged(criterion, status, reason)
        if held:
            subject.held_back = held_reason or "held back"
    tables: dict[str, dict[str, Subject]] = {"source": {}, "mart": {}}
    for kind, subject_name, criterion, status, reason, owner in con.execute("""
            SELECT subject_type, subject, criterion, status, reason, owner FROM audit.check_results
            WHERE subject_type IN ('source', 'mart')
            QUALIFY row_number() OVER (PARTITION BY subject_type, subject, check_name
                                       ORDER BY coalesce(seq, 0) DESC, checked_at DESC) = 1
            ORDER BY subject, criterion""").fetchall():
        contract = CONTRACTS.get(subject_name) if kind == "source" else None
        title = contract.title if contract else subject_name
        subject = tables[kind].setdefault(subject_name, Subject(subject_name, title, owner or "no owner recorded"))
        subject.judged(criterion, status, reason)
    return Scorecard(night, published_at(con), list(measures.values()),
                     sorted(tables["source"].values(), key=lambda s: s.title),
                     sorted(tables["mart"].values(), key=lambda s: s.title))


def build_scorecard(published_path: Path, out_dir: Path, data_docs: Path | None = None) -> Path:
    """Write the scorecard page into `out_dir` (replaced whole, in one rename), linking to GX's Data Docs at
    `data_docs` (relative, so the data folder can move). Returns the page's path."""
    if not published_path.exists():
        raise NotPublishedError(f"No published warehouse at {published_path}: run the nightly job first")
    with duckdb.connect(str(published_path), read_only=True) as con:
        card = read_scorecard(con)
    env = template_environment()
    with building(out_dir) as temporary:
        copy_stylesheets(temporary)
        docs_link = Path(os.path.relpath(data_docs, out_dir)).as_posix() if data_docs else None
        html = env.get_template("scorecard.html.j2").render(card=card, council=load_council().council_name,
                                                            data_docs=docs_link)
        (temporary / "index.html").write_text(html, encoding="utf-8")
    return out_dir / "index.html"
