"""The SPC (XmR) chart of one series, drawn with matplotlib as SVG and embedded as a data URI, so a report or
page works offline and prints to PDF. Every chart has a text alternative; pages add the data table.

Point colours follow NHS "Making Data Count" (blue improvement, orange concern, purple neutral, grey common
cause), darkened to reach 3:1 contrast on white, and each kind also has its own marker shape, so the chart does
not rely on colour alone (WCAG 1.4.1).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import io
from collections import OrderedDict
from collections.abc import Sequence

from warehouse.spc import COMMON, CONCERN, IMPROVEMENT, NEUTRAL, SpcPoint

STYLE = {  # point type -> (colour, marker, legend label)
    COMMON: ("#505a5f", "o", "Common cause"),
    IMPROVEMENT: ("#1d70b8", "s", "Special cause: improvement"),
    CONCERN: ("#b14600", "^", "Special cause: concern"),
    NEUTRAL: ("#4c2c92", "D", "Special cause: neutral"),
}
LINE = "#0b0c0c"
CHANGE = "#00703c"  # a rebase or trial line and its label (GOV.UK green, 5.6:1 on white)
# Charts drawn in this process, by what they are drawn from: a chart is a pure function of its inputs, and the
# same one is asked for again and again (the site and a report on the same months; the next night's outputs,
# when a process builds several, as the simulation does). Drawing one costs ~0.1-0.2 s; most of an outputs
# build was redrawing unchanged charts.
DRAWN: OrderedDict[str, str] = OrderedDict()
KEEP_DRAWN = 256  # charts kept (an SVG data URI is ~20-40 KB)


@functools.cache
def _matplotlib():
    """pyplot and matplotlib.dates, imported on first use (a few seconds that the nightly job, which imports this
    module through the Definitions, should not pay)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to files only
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "bromsgrove", "font.family": "sans-serif",
                         "font.sans-serif": ["Arial", "Helvetica", "DejaVu Sans"], "font.size": 9})
    return plt, mdates


def spc_chart_uri(title: str, periods: Sequence[dt.date], points: Sequence[SpcPoint], unit: str,
                  target: float | None = None, changes: Sequence[tuple[dt.date, str]] = ()) -> str:
    """The chart as a `data:image/svg+xml;base64,...` URI for an <img> element (drawn once per process for the
    same inputs). `changes`: (first period, label) of each rebase or trial, drawn as a labelled line."""
    key = _chart_key(title, periods, points, unit, target, changes)
    if key in DRAWN:
        DRAWN.move_to_end(key)
        return DRAWN[key]
    uri = _render(title, periods, points, unit, target, changes)
    DRAWN[key] = uri
    while len(DRAWN) > KEEP_DRAWN:
        DRAWN.popitem(last=False)
    return uri


def _chart_key(title: str, periods: Sequence[dt.date], points: Sequence[SpcPoint], unit: str,
               target: float | None, changes: Sequence[tuple[dt.date, str]] = ()) -> str:
    """Everything a chart is drawn from (SpcPoint's repr holds every field, floats in full). The code and
    matplotlib's version are not in it: the memo lives and dies with the process that loaded them."""
    text = repr((title, [d.isoformat() for d in periods], list(points), unit, target, list(changes)))
    return hashlib.sha256(text.encode()).hexdigest()


def _render(title: str, periods: Sequence[dt.date], points: Sequence[SpcPoint], unit: str,
            target: float | None, changes: Sequence[tuple[dt.date, str]] = ()) -> str:
    plt, _ = _matplotlib()
    fig, ax = plt.subplots(figsize=(7.2, 3.0), dpi=96)
    try:
        _draw(ax, periods, points, unit, target)
        for day, label in changes:  # where the limits restart: a trial or a recorded change, named
            ax.axvline(day, color=CHANGE, linewidth=1, linestyle="-.", zorder=0)
            ax.annotate(label, xy=(day, 1.0), xycoords=("data", "axes fraction"), xytext=(2, 2),
                        textcoords="offset points", fontsize=8, color=CHANGE, va="bottom", ha="left",
                        fontweight="bold", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        ax.set_title(title, loc="left", fontsize=10, color=LINE, pad=14 if changes else 6)  # room for the labels
        fig.text(0.01, 0.015, limits_note(points), fontsize=7, color=LINE, wrap=True)  # how limits were set
        fig.subplots_adjust(left=0.09, right=0.76, top=0.9, bottom=0.3)  # fixed: tight_layout costs 0.15 s a chart
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode()).decode()


def _draw(ax, periods: Sequence[dt.date], points: Sequence[SpcPoint], unit: str, target: float | None) -> None:
    ax.plot(periods, [p.value for p in points], color="#b1b4b6", linewidth=1.2, zorder=1)
    first_segment = points[0].segment
    for segment in sorted({p.segment for p in points}):
        idx = [i for i, p in enumerate(points) if p.segment == segment]
        xs = [periods[i] for i in idx]
        first = points[idx[0]]
        ax.plot(xs, [first.mean] * len(xs), color=LINE, linewidth=1, label="Mean" if segment == first_segment else None)
        if first.upper_limit is not None:
            for limit, label in ((first.upper_limit, "Process limits"), (first.lower_limit, None)):
                ax.plot(xs, [limit] * len(xs), color=LINE, linewidth=1, linestyle="--",
                        label=label if segment == first_segment else None)
    for kind, (colour, marker, label) in STYLE.items():
        chosen = [(periods[i], p.value) for i, p in enumerate(points) if p.point_type == kind and p.judged]
        if chosen:
            ax.scatter([x for x, _ in chosen], [y for _, y in chosen], color=colour, marker=marker, s=28,
                       zorder=3, label=label)
    unjudged = [(periods[i], p.value) for i, p in enumerate(points) if not p.judged]
    if unjudged:  # hollow: neither common nor special cause, for want of limits
        ax.scatter([x for x, _ in unjudged], [y for _, y in unjudged], facecolors="none", edgecolors=STYLE[COMMON][0],
                   marker="o", s=28, zorder=3, label="Not judged")
    if target is not None:
        ax.axhline(target, color="#00703c", linewidth=1, linestyle=":", label="Target")
    ax.set_ylabel(unit)
    _, mdates = _matplotlib()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.tick_params(axis="x", labelrotation=45)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def limits_note(points: Sequence[SpcPoint]) -> str:
    """How the latest segment's limits were set, or why it has none, in words for the chart and its text."""
    if not points:
        return ""
    latest = points[-1]
    if not latest.judged:
        return ("No process limits: the values vary too little (in steps as large as their usual variation), so no "
                "point is judged common or special cause.")
    if latest.upper_limit is None:
        return "No process limits yet: one point since the last rebase."
    return "Process limits: mean ± 2.66 × the mean moving range (moving ranges over 3.267 × their mean left out)."


def chart_alt_text(title: str, periods: Sequence[dt.date], points: Sequence[SpcPoint], words: str,
                   formatted_latest: str, changes: Sequence[tuple[dt.date, str]] = ()) -> str:
    """The chart's text alternative: what it shows and what it says, in a few sentences."""
    if not points:
        return f"{title}: no data yet."
    latest = points[-1]
    limits = ""
    if latest.upper_limit is not None:
        limits = (f" The mean is {latest.mean:,.1f}; the process limits are {latest.lower_limit:,.1f} "
                  f"and {latest.upper_limit:,.1f}.")
    return (f"SPC chart of {title}, {len(points)} points from {periods[0]:%B %Y} to {periods[-1]:%B %Y}. "
            f"Latest value {formatted_latest}.{limits} {words} {limits_note(points)}"
            + "".join(f" Limits restart in {day:%B %Y}: {label}." for day, label in changes))
