"""An SPC chart is drawn once per process for the same inputs, and a remembered chart is the one a fresh drawing
would give: any change to what it is drawn from draws it again."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from outputs import charts
from warehouse.spc import COMMON, CONCERN, SpcPoint

PERIODS = [dt.date(2026, m, 1) for m in range(1, 7)]
POINTS = [SpcPoint(value=v, segment=0, mean=10.0, upper_limit=16.0, lower_limit=4.0, point_type=COMMON)
          for v in (9.0, 11.0, 10.0, 12.0, 8.0, 10.0)]


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the charts actually rendered (not taken from the process's memo), with an empty memo."""
    monkeypatch.setattr(charts, "DRAWN", type(charts.DRAWN)())
    rendered: list[str] = []
    render = charts._render

    def counting(title, *args):
        rendered.append(title)
        return render(title, *args)

    monkeypatch.setattr(charts, "_render", counting)
    return rendered


def test_the_same_chart_is_drawn_once_and_is_the_fresh_drawing(drawings: list[str]):
    first = charts.spc_chart_uri("Contacts", PERIODS, POINTS, "count", 12.0)
    again = charts.spc_chart_uri("Contacts", list(PERIODS), [dataclasses.replace(p) for p in POINTS], "count", 12.0)
    assert drawings == ["Contacts"] and again == first
    charts.DRAWN.clear()
    assert charts.spc_chart_uri("Contacts", PERIODS, POINTS, "count", 12.0) == first  # drawn afresh: the same
    assert first.startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize("change", [
    {"title": "Contacts received"},
    {"unit": "percent"},
    {"target": 13.0},
    {"periods": [*PERIODS[:-1], dt.date(2026, 7, 1)]},
    {"points": [*POINTS[:-1], dataclasses.replace(POINTS[-1], value=10.5)]},  # one value, half a unit
    {"points": [*POINTS[:-1], dataclasses.replace(POINTS[-1], point_type=CONCERN)]},  # only its colour
])
def test_any_change_to_what_a_chart_is_drawn_from_draws_it_again(drawings: list[str], change: dict):
    inputs = {"title": "Contacts", "periods": PERIODS, "points": POINTS, "unit": "count", "target": 12.0}
    before = charts.spc_chart_uri(**inputs)
    after = charts.spc_chart_uri(**{**inputs, **change})
    assert len(drawings) == 2 and after != before


def test_the_memo_keeps_only_the_latest_charts(drawings: list[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(charts, "KEEP_DRAWN", 2)
    # A is pushed out by C and drawn again; C, used after A, outlives A when D comes: the least recently used goes.
    for title in ("A", "B", "C", "A", "C", "D", "C"):
        charts.spc_chart_uri(title, PERIODS, POINTS, "count")
    assert drawings == ["A", "B", "C", "A", "D"]


def test_a_chart_without_limits_says_why_and_judges_no_point():
    import base64

    from tests.test_spc import FLY_TIPPING
    from warehouse.spc import describe, xmr

    periods = [dt.date(2023 + (9 + m) // 12, (9 + m) % 12 + 1, 1) for m in range(len(FLY_TIPPING))]  # Oct 2023 on
    points = xmr(FLY_TIPPING, improvement="down", bounds=(0, None))
    svg = base64.b64decode(charts.spc_chart_uri("Fly-tipping", periods, points, "days").split(",", 1)[1]).decode()
    assert "No process limits: the values vary too little" in svg and "Not judged" in svg
    assert "Process limits" not in svg.replace("No process limits", "")  # no limit lines in the legend
    assert "Special cause" not in svg and "Common cause" not in svg
    alt = charts.chart_alt_text("Fly-tipping", periods, points, describe(points, "months"), "3 days")
    assert "process limits are" not in alt and "no point is judged common or special cause" in alt
    charted = xmr([1, 2] * 6 + [1, 1], bounds=(0, None))
    assert charts.limits_note(charted).startswith("Process limits: mean ± 2.66")


def test_the_verdict_column_of_a_chart_without_limits_says_so_not_common_cause():
    from outputs.views import MeasureView
    from tests.test_spc import FLY_TIPPING
    from warehouse.catalogue import catalogue
    from warehouse.spc import xmr

    points = xmr(FLY_TIPPING, improvement="down", bounds=(0, None))
    periods = [dt.date(2023 + (9 + m) // 12, (9 + m) % 12 + 1, 1) for m in range(len(FLY_TIPPING))]
    view = MeasureView(catalogue().measures["fly_tipping_clearance_days"], "", "", "", periods, points, "", None, "",
                       "3 days", periods[-1], None)
    assert view.latest_point_words == "Not enough variation to chart"  # the site's home page and the reports
    assert {row["type"] for row in view.table_rows()} == {"Not enough variation to chart"}
    assert {row["limits"] for row in view.table_rows()} == {""}
