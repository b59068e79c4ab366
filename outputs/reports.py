"""Reports to Members (seed section 8): the bi-monthly Cabinet report, the quarterly Overview and Scrutiny report,
and the Portfolio Holder briefings that come before Cabinet, as HTML and PDF.

A report holds the standard key organisational measures (every `level: strategic` measure in the catalogue)
plus the focus measures CMT chose for that report and period (core.focus_measures; a report builds without
one). Each measure shows its SPC chart re-drawn up to the period's end, what the chart says in words, the
owner's commentary and sign-off for the period's last charted month, and its data-quality status.

Files: <outputs>/reports/<cabinet|scrutiny>/<YYYY-MM>/ (the period's first month), written to a temporary folder
and swapped in, so a reader never sees half a report. Earlier periods' folders are never touched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from outputs.folders import building
from outputs.publication import lake_citation, open_published, published_at
from outputs.unchanged import DIGEST_FILE, inputs_digest, remember, unchanged
from outputs.views import CRITERIA, MeasureView, measure_view
from warehouse import clock
from warehouse.catalogue import Catalogue, catalogue
from warehouse.council import load_council
from warehouse.reporting_periods import (
    REPORT_KINDS,
    ReportingPeriod,
    add_months,
    latest_ended_period,
    months_between,
    period_starting,
)

log = logging.getLogger(__name__)


@functools.cache
def template_environment() -> Environment:
    """The Jinja2 environment of the reports and the site (autoescaped; built once: it caches the templates)."""
    env = Environment(loader=PackageLoader("outputs", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["date"] = lambda d, fmt="%d %B %Y": "" if d is None else d.strftime(fmt).lstrip("0")
    env.filters["figure"] = lambda v, places=1: "no data" if v is None else f"{v:,.{places}f}"
    return env


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().removeprefix("portfolio holder for ")).strip("-")


@dataclass
class Report:
    title: str
    period: ReportingPeriod
    focus: list[MeasureView]
    standard: list[MeasureView]
    published_at: dt.datetime
    has_focus_list: bool
    audience: str
    portfolio: str | None = None
    snapshot: str | None = None  # the lake snapshot holding the same figures, when there is a lake

    @property
    def measures(self) -> list[MeasureView]:
        return [*self.focus, *self.standard]


def report_periods(as_of: dt.date, kinds: tuple[str, ...] = tuple(REPORT_KINDS),
                   period_start: dt.date | None = None) -> list[ReportingPeriod]:
    """The period each report is about: the latest ended before `as_of`'s month, or the one starting then."""
    return [period_starting(REPORT_KINDS[k], period_start) if period_start
            else latest_ended_period(REPORT_KINDS[k], as_of) for k in kinds]


def build_reports(published_path: Path, outputs_dir: Path, periods: list[ReportingPeriod],
                  cat: Catalogue | None = None, pdf: bool = True) -> list[Path]:
    """Write each period's report (and, for Cabinet, the Portfolio Holder briefings). Returns the files."""
    cat = cat or catalogue()
    written: list[Path] = []
    charted: dict[tuple[str, dt.date], MeasureView] = {}  # Cabinet and O&S periods often end on the same day
    with open_published(published_path) as con:
        for period in periods:
            folder = outputs_dir / "reports" / period.kind.id / period.key
            digest = inputs_digest(con, "outputs.reports", period.end, period.kind.id, pdf)
            if unchanged(folder, digest):  # its data, commentary and quality are as when it was built
                written += sorted(p for p in folder.rglob("*.*") if p.name != DIGEST_FILE)
                log.info("%s %s: unchanged since it was built, kept", period.kind.title, period.label)
                continue
            reports = period_reports(con, cat, period, charted)
            written += _write_folder(folder, reports, pdf, digest)
            log.info("%s %s: %d measure(s), %d file(s) in %s", period.kind.title, period.label,
                     len(reports[0].measures), len(list(folder.rglob("*.*"))), folder)
    return written


def period_reports(con: duckdb.DuckDBPyConnection, cat: Catalogue, period: ReportingPeriod,
                   charted: dict[tuple[str, dt.date], MeasureView] | None = None) -> list[Report]:
    """The report for `period`, then (Cabinet only) one briefing per Portfolio Holder with any of its measures.
    `charted` caches measure views by (measure, period end) across calls."""
    charted = {} if charted is None else charted
    focus = dict(con.execute("SELECT measure_id, reason FROM core.focus_measures WHERE report = ? AND period_start = ?"
                             " ORDER BY measure_id", [period.kind.id, period.start]).fetchall())
    views: dict[str, MeasureView] = {}
    for measure_id in [*focus, *(m.id for m in cat.measures.values() if m.level == "strategic")]:
        if measure_id not in views and measure_id in cat.measures:
            key = (measure_id, period.end)
            if key not in charted:
                charted[key] = measure_view(con, cat, cat.measures[measure_id], until=period.end)
            views[measure_id] = dataclasses.replace(charted[key], focus_reason=focus.get(measure_id))
    focus_views = [views[m] for m in focus if m in views]
    standard = sorted((v for m, v in views.items() if m not in focus),
                      key=lambda v: (list(cat.purposes).index(v.measure.purpose), v.measure.title))
    when = published_at(con)
    report = Report(f"{period.kind.title}: {covered_label(period, list(views.values()))}", period, focus_views,
                    standard, when, bool(focus), period.kind.audience, snapshot=lake_citation(con))
    if period.kind.id != "cabinet":
        return [report]
    briefings = []
    for owner in dict.fromkeys(p.owner for p in cat.purposes.values()):
        mine = [v for v in report.measures if v.purpose_owner == owner]
        if mine:
            briefings.append(Report(f"Briefing for the {owner}: {covered_label(period, mine)}", period,
                                    [v for v in mine if v.focus_reason], [v for v in mine if not v.focus_reason],
                                    when, bool(focus), f"the {owner}, before Cabinet", portfolio=owner,
                                    snapshot=report.snapshot))
    return [report, *briefings]


def covered_label(period: ReportingPeriod, views: list[MeasureView]) -> str:
    """The period's label, saying which of its months are not in yet for the monthly measures of `views`: none
    in for any ('... : data for October 2026 only, November 2026 not yet in'), or some measures without a value
    for the last month ('...: no November 2026 value for 3 of 18 measures': not delivered yet, or none to give,
    such as a percentage of no applications); each measure's line says which."""
    monthly = [v.latest_period for v in views if v.measure.frequency == "monthly"]
    last = period.end.replace(day=1)
    latest = max((d for d in monthly if d is not None), default=None)
    if latest is not None and latest >= last:
        lagging = [d for d in monthly if d is None or d < last]
        if not lagging:
            return period.label
        return f"{period.label}: no {last:%B %Y} value for {len(lagging)} of {len(views)} measures"
    first_missing = add_months(latest, 1) if latest is not None and latest >= period.start else period.start
    missing = [f"{m:%B %Y}" for m in months_between(first_missing, last)]
    gone = " and ".join(missing) if len(missing) < 3 else f"{missing[0]} to {missing[-1]}"
    if latest is None or latest < period.start:
        return f"{period.label}: no month in yet ({gone} not yet in)"
    held = f"{period.start:%B %Y}" if latest == period.start else f"{period.start:%B %Y} to {latest:%B %Y}"
    return f"{period.label}: data for {held} only, {gone} not yet in"


def render_report(report: Report) -> str:
    return template_environment().get_template("report.html.j2").render(
        report=report, council=load_council().council_name, criteria=CRITERIA, generated=clock.timestamp())


def _file_name(report: Report) -> str:
    if report.portfolio:
        return f"briefings/{slug(report.portfolio)}-{report.period.key}"
    return f"{report.period.kind.id}-{report.period.key}"


def _write_folder(folder: Path, reports: list[Report], pdf: bool, digest: str) -> list[Path]:
    """Render every report into a temporary folder beside `folder`, then swap it in."""
    written = []
    with building(folder) as temporary:
        remember(temporary, digest)
        for report in reports:
            html = render_report(report)
            target = temporary / f"{_file_name(report)}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
            written.append(target.relative_to(temporary))
            if pdf:
                written.append(write_pdf(html, target.with_suffix(".pdf")).relative_to(temporary))
    return [folder / p for p in written]


def write_pdf(html: str, path: Path) -> Path:
    """HTML to PDF with WeasyPrint (charts are embedded SVG, so nothing is fetched)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only report building needs

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page otherwise
    HTML(string=html, base_url=str(path.parent)).write_pdf(path)
    return path
