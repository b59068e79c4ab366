"""Teams' monthly performance returns: commentary and manager sign-off per measure and period, and the values
of measures no system records (seed section 7, Roles, Responsibilities & Ownership).

The project writes each team a template (`python -m pipelines.cli returns`, or the nightly
outputs/return_templates asset) with its measures and the period filled in. Officers fill in the yellow
cells and put the file, unrenamed, in the landing folder. A manager signs off in the same file (re-saved: it
replaces the earlier one) or in a separate sign-off file named `performance_return_signoff_<team>_<YYYY-MM>.xlsx`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sources.performance_returns.contract import CONTRACT, SHEET

TITLE_ROWS = 3  # the title, the instructions, a blank row; then the header


@dataclass
class ReturnRow:
    """One line of a return: a measure and period, with anything already known filled in."""

    measure_id: str
    title: str
    period: str  # YYYY-MM
    value: float | None = None
    manual: bool = False
    manual_value: float | None = None
    commentary: str | None = None
    commentary_by: str | None = None
    commentary_date: dt.date | None = None
    signed_off_by: str | None = None
    signed_off_date: dt.date | None = None


def file_name(team: str, month: dt.date, sign_off: bool = False) -> str:
    return f"performance_return_{'signoff_' if sign_off else ''}{team}_{month:%Y-%m}.xlsx"


def write_return(
    path: Path, team_name: str, month: dt.date, rows: Sequence[ReturnRow], guidance: Sequence[tuple[str, str, str]] = ()
) -> Path:
    """Write a return workbook: sheet "Return" with the rows (only the cells an officer fills in are unlocked
    and yellow; Manual Value only where the measure has no system source) and, if given, a "Guidance" sheet
    of (measure id, title, definition)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    # Text from the catalogue and the warehouse is never written as a formula or a link (CSV/formula injection).
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"created": dt.datetime(2016, 1, 1), "author": "Bromsgrove performance warehouse"})
    bold = workbook.add_format({"bold": True, "font_size": 13})
    header = workbook.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True})
    fixed = workbook.add_format({"locked": True, "bg_color": "#F2F2F2", "border": 1})
    entry = workbook.add_format(
        {"locked": False, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True, "valign": "top"}
    )
    entry_date = workbook.add_format({"locked": False, "bg_color": "#FFF2CC", "border": 1, "num_format": "dd/mm/yyyy"})
    ws = workbook.add_worksheet(SHEET)
    ws.write(0, 0, f"Performance return: {team_name}, {month:%B %Y}", bold)
    ws.write(
        1,
        0,
        "Fill in the yellow cells: commentary for every measure; Manual Value only where the row "
        "asks for it; a manager signs off. Save and put the file, with its name unchanged, in the "
        "performance_returns landing folder.",
    )
    ws.write_row(TITLE_ROWS, 0, CONTRACT.header, header)
    for r, row in enumerate(rows, start=TITLE_ROWS + 1):
        ws.write_string(r, 0, row.measure_id, fixed)
        ws.write_string(r, 1, row.title, fixed)
        ws.write_string(r, 2, row.period, fixed)
        if row.manual:
            ws.write_string(r, 3, "enter it in Manual Value", fixed)
            _cell(ws, r, 4, row.manual_value, entry)
            ws.data_validation(
                r,
                4,
                r,
                4,
                {"validate": "decimal", "criteria": ">=", "value": 0, "error_message": "Enter a number (0 or more)."},
            )
        else:
            _cell(ws, r, 3, row.value, fixed)
            ws.write_blank(r, 4, None, fixed)
        for c, value in ((5, row.commentary), (6, row.commentary_by), (8, row.signed_off_by)):
            _cell(ws, r, c, value, entry)
        for c, value in ((7, row.commentary_date), (9, row.signed_off_date)):
            _cell(ws, r, c, value, entry_date)
            ws.data_validation(
                r,
                c,
                r,
                c,
                {
                    "validate": "date",
                    "criteria": "between",
                    "minimum": dt.date(2000, 1, 1),
                    "maximum": dt.date(2099, 12, 31),
                    "error_message": "Enter a date (dd/mm/yyyy).",
                },
            )
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 45)
    ws.set_column(2, 4, 12)
    ws.set_column(5, 5, 60)
    ws.set_column(6, 9, 16)
    ws.freeze_panes(TITLE_ROWS + 1, 2)
    ws.protect("", {"format_columns": True, "format_rows": True})
    if guidance:
        notes = workbook.add_worksheet("Guidance")
        notes.write_row(0, 0, ["Measure ID", "Measure", "Definition"], header)
        for r, line in enumerate(guidance, start=1):
            for c, text in enumerate(line):
                notes.write_string(r, c, str(text))
        notes.set_column(0, 1, 40)
        notes.set_column(2, 2, 100)
    workbook.close()
    return path


def _cell(ws, row: int, col: int, value: object, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)
