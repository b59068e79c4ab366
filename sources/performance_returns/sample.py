"""Sample generator: the teams' filled-in performance returns (written with the template's own writer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.performance_returns.contract import CONTRACT
from sources.performance_returns.template import ReturnRow, file_name, write_return
from sources.sample import SampleContext, add_months


def generate(ctx: SampleContext) -> list[Path]:
    """Returns as teams send them back. Economic Development keyed in its start-up counts for the earlier
    months once, in one history return, when the measure was added; then every team returned commentary and
    sign-off for the month before the latest; for the latest month, Community Safety has not returned yet and
    Development Management is not yet signed off."""
    from warehouse.catalogue import catalogue  # the sample follows the catalogue's teams and measures

    cat = catalogue()
    history = [
        ReturnRow(m.id, m.title, f"{month:%Y-%m}", manual=True, manual_value=_manual_value(ctx, m.id, month, index))
        for m in cat.measures.values()
        if m.is_manual
        for index, month in enumerate(ctx.months[:-2])
    ]
    written = (
        [
            write_return(
                ctx.folder(CONTRACT.name) / "performance_return_economic_development_history.xlsx",
                cat.teams["economic_development"].name,
                ctx.months[0],
                history,
            )
        ]
        if history
        else []
    )
    for month in (ctx.months[-2], ctx.end_month):
        is_end = month == ctx.end_month
        for team in cat.teams.values():
            if is_end and team.id == "community_safety":  # late: flagged in commentary_status
                continue
            written += team_return(ctx, team.id, month, signed=not (is_end and team.id == "planning"))
    return written


def _manual_value(ctx: SampleContext, measure_id: str, month: dt.date, index: int) -> int:
    return ctx.rng(CONTRACT.name, measure_id, month).randint(3, 9) + (2 if index >= ctx.months_count - 12 else 0)


def team_return(ctx: SampleContext, team_id: str, month: dt.date, signed: bool = True) -> list[Path]:
    """One team's return for `month` (none when the team owns no measure): commentary on each of its measures,
    a manual value where no system records it, and a manager's sign-off unless `signed` is false."""
    from warehouse.catalogue import catalogue

    cat = catalogue()
    team = cat.teams[team_id]
    measures = [m for m in cat.measures.values() if m.team == team.id]
    if not measures:
        return []
    rng = ctx.rng(CONTRACT.name, team.id, month)
    sent = ctx.extract_day(CONTRACT, month)  # nothing in a return is dated on or after the day it is sent
    written_on = min(add_months(month, 1) + dt.timedelta(days=rng.randint(3, 9)), sent - dt.timedelta(days=3))
    rows = []
    for m in measures:
        row = ReturnRow(
            m.id,
            m.title,
            f"{month:%Y-%m}",
            manual=m.is_manual,
            manual_value=_manual_value(ctx, m.id, month, ctx.index_of(month)) if m.is_manual else None,
            commentary=rng.choice(
                [
                    "Within the usual range; no action needed.",
                    "Seasonal rise as in previous years; staffing adjusted.",
                    "Improvement since the redesign continues; checking it holds.",
                ]
            ),
            commentary_by=f"{team.name} officer",
            commentary_date=written_on,
        )
        if signed:
            row.signed_off_by = f"Head of {team.name}"
            row.signed_off_date = min(written_on + dt.timedelta(days=2), sent - dt.timedelta(days=1))
        rows.append(row)
    return [write_return(ctx.folder(CONTRACT.name) / file_name(team.id, month), team.name, month, rows)]
