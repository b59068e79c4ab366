"""`pipelines.cli run` keeps a log file of the night (a line per file loaded, which the terminal no longer shows,
so it ends with the summary); when the file cannot be written, every line stays on the terminal."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import pytest

from pipelines.cli import log_to_file
from warehouse.settings import load_settings

NIGHT = dt.date(2026, 12, 3)


@pytest.fixture
def terminal():
    """The root logger writing to a string, as basicConfig's terminal handler does; restored afterwards."""
    root, stream = logging.getLogger(), io.StringIO()
    saved, level = root.handlers[:], root.level
    root.handlers = [logging.StreamHandler(stream)]
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers, root.level = saved, level


def _night_lines() -> None:
    logging.getLogger("sources.reader").info("crm_contacts: loaded crm_contacts_2026-11.csv (2400 rows)")
    logging.getLogger("sources.reader").warning("1 file(s) in landing modified in the future (clock skew?)")
    logging.getLogger("pipelines.nightly").info("Nightly load SUCCEEDED")


def test_the_detail_lines_go_to_the_nights_log_file_not_the_terminal(terminal, tmp_path: Path):
    path = log_to_file(load_settings(data_dir=tmp_path / "data", as_of=NIGHT))
    _night_lines()
    assert path == tmp_path / "data" / "logs" / "run-2026-12-03.log"
    shown, kept = terminal.getvalue(), path.read_text()
    assert "loaded crm_contacts_2026-11.csv" not in shown and "loaded crm_contacts_2026-11.csv" in kept
    for line in ("clock skew?", "Nightly load SUCCEEDED"):  # warnings and the rest: on both
        assert line in shown and line in kept


def test_a_log_file_that_cannot_be_written_loses_nothing_from_the_terminal(terminal, tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "logs").write_text("a file where the folder should be")
    assert log_to_file(load_settings(data_dir=tmp_path / "data", as_of=NIGHT)) is None
    _night_lines()
    shown = terminal.getvalue()
    assert "cannot write the run's log file" in shown and "loaded crm_contacts_2026-11.csv" in shown
