"""The Policy Team's data-quality scorecard page (outputs/scorecard.py): what needs doing, by owner, in words,
from the latest verdicts only, and readable offline. The published copy is written by hand below; every
expected sentence is worked out from those rows."""

from __future__ import annotations

import html
import re
from pathlib import Path

import duckdb
import pytest

from outputs.publication import NotPublishedError
from outputs.scorecard import build_scorecard

ENV = "environmental.services@bromsgrove.example"
CUSTOMER = "customer.services@bromsgrove.example"
POLICY = "policy.team@bromsgrove.example"


def _published(path: Path) -> Path:
    """Three measures and two sources. Recycling: a failing `well_defined` and an `accurate` warning (latest); an
    earlier night's failure of contacts received that has since passed; homes let held back, nothing failing.
    CRM's `accurate` failed on an earlier night and passes now; waste reports' `timely` warns (its failure with
    the same build number is older); a dashboard mart's GX suite warns."""
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE SCHEMA marts; CREATE SCHEMA audit;
            CREATE TABLE marts.publish_info AS SELECT DATE '2026-12-03' AS as_of,
                TIMESTAMP '2026-12-03 02:41:00' AS published_at;
            CREATE TABLE marts.quality_scorecard (measure_id VARCHAR, title VARCHAR, owner VARCHAR, criterion VARCHAR,
                status VARCHAR, reason VARCHAR, is_latest BOOLEAN, held_back BOOLEAN, held_back_reason VARCHAR);
            INSERT INTO marts.quality_scorecard VALUES
              ('recycling', 'Recycling rate', '{env}', 'accurate', 'warn', 'Two wards exceed 100%.', true, false,
               NULL),
              ('recycling', 'Recycling rate', '{env}', 'well_defined', 'fail', 'Tonnes has no definition.', true,
               false, NULL),
              ('recycling', 'Recycling rate', '{env}', 'relevant', 'pass', 'ok', true, false, NULL),
              ('contacts_received', 'Customer contacts received', '{cs}', 'accurate', 'fail', 'OLD FAILURE', false,
               false, NULL),
              ('contacts_received', 'Customer contacts received', '{cs}', 'accurate', 'pass', 'ok', true, false, NULL),
              ('homes_let', 'Homes let by the housing association', 'housing@x', 'timely', 'pass', 'ok', true, true,
               'lettings held back since 2 December 2026: file refused');
            CREATE TABLE audit.check_results (subject_type VARCHAR, subject VARCHAR, criterion VARCHAR,
                check_name VARCHAR, status VARCHAR, reason VARCHAR, owner VARCHAR, seq BIGINT, checked_at TIMESTAMP);
            INSERT INTO audit.check_results VALUES
              ('source', 'crm_contacts', 'accurate', 'accurate', 'fail', 'OLD SOURCE FAILURE', '{cs}', 1,
               '2026-12-01 02:00'),
              ('source', 'crm_contacts', 'accurate', 'accurate', 'pass', 'ok', '{cs}', 5, '2026-12-03 02:00'),
              ('source', 'waste_reports', 'timely', 'timely', 'fail', 'OLDER, SAME SEQ', '{env}', 3,
               '2026-12-02 02:00'),
              ('source', 'waste_reports', 'timely', 'timely', 'warn', 'The October 2026 file is 3 day(s) late.',
               '{env}', 3, '2026-12-03 02:00'),
              ('measure', 'recycling', 'timely', 'timely', 'fail', 'A MEASURE ROW, NOT A SOURCE', '{env}', 4,
               '2026-12-03 02:00'),
              ('mart', 'marts.dashboard_strategic', 'accurate', 'gx:marts.dashboard_strategic', 'warn',
               'value fails for 2 row(s)', '{policy}', 6, '2026-12-03 02:00');
        """.replace("{env}", ENV).replace("{cs}", CUSTOMER).replace("{policy}", POLICY))
    return path


def _text(page: Path) -> str:
    words = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", html.unescape(words))


def test_the_scorecard_says_what_needs_doing_by_owner_from_the_latest_verdicts(tmp_path: Path):
    docs = tmp_path / "data" / "quality" / "data_docs" / "index.html"
    page = build_scorecard(_published(tmp_path / "published.duckdb"), tmp_path / "data" / "outputs" / "dq", docs)
    text = _text(page)
    # 3 measures, 1 with a problem (homes let is held back but fails nothing); 2 sources, 1 warning.
    assert ("2 of 3 measures pass every check; 1 needs a look. 1 of 2 sources pass every check; 1 needs a look. "
            "0 of 1 marts pass every check; 1 needs a look. 1 measure is held back from the published copy.") in text
    assert "night of 3 December 2026" in text and "Published 02:41 on 3 December 2026." in text
    # Environmental services: recycling (a failure) before waste reports (a warning), though "Missed bins ..."
    # comes first alphabetically; within recycling the failure before the warning, though "accurate" comes first.
    # Customer services has nothing to do now: its old failures passed since.
    owner_section = text[text.index("What needs doing, by owner"):text.index("The checks")]
    assert owner_section.index("Recycling rate") < owner_section.index("Well defined: do not rely on it until "
                                                                      "fixed. Tonnes has no definition.") \
        < owner_section.index("Accurate: needs a look. Two wards exceed 100%.") \
        < owner_section.index("Missed bins and fly-tipping reports") < owner_section.index("3 day(s) late.")
    assert "homes_let" in page.read_text() and "held back from the published copy (lettings held back since" in text
    assert "OLD" not in text and "NOT A SOURCE" not in text and CUSTOMER not in owner_section
    assert f"{POLICY} marts.dashboard_strategic Accurate: needs a look. value fails for 2 row(s)" in owner_section
    # Offline: nothing fetched, no script; the stylesheet beside it; GX's Data Docs linked relatively.
    raw = page.read_text()
    assert "<script" not in raw and "http://" not in raw and "https://" not in raw
    assert (page.parent / "assets" / "govuk-frontend.min.css").is_file()
    (link,) = re.findall(r'href="([^"]*data_docs[^"]*)"', raw)
    assert link == "../../quality/data_docs/index.html" and (page.parent / link).resolve() == docs.resolve()


def test_the_scorecard_says_plainly_when_everything_passes_and_refuses_a_missing_copy(tmp_path: Path):
    published = _published(tmp_path / "published.duckdb")
    with duckdb.connect(str(published)) as con:
        con.execute("UPDATE marts.quality_scorecard SET status = 'pass', held_back = false")
        con.execute("UPDATE audit.check_results SET status = 'pass'")
    text = _text(build_scorecard(published, tmp_path / "dq"))
    assert "All 3 measures pass every check. All 2 sources pass every check. Published" in text  # marts: silent
    assert "Nothing: every measure, source and mart passed every check on the night of 3 December 2026." in text
    with pytest.raises(NotPublishedError, match="run the nightly job first"):
        build_scorecard(tmp_path / "missing.duckdb", tmp_path / "dq")
