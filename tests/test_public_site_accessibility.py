"""The public site in headless Chromium: axe-core finds no WCAG 2.2 A or AA violation on any page, the keyboard
reaches the skip link first and it moves focus to the content, and a screenshot of the home page is kept as a test
artifact (test-artifacts/, or $BDC_TEST_ARTIFACTS) for a person to look at."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from outputs.site import build_site
from tests import browser
from tests.conftest import build_outputs_fixture

ARTIFACTS = Path(os.environ.get("BDC_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if reason := browser.missing():
        pytest.fail(reason)
    root = tmp_path_factory.mktemp("site")
    build_site(build_outputs_fixture(root / "published.duckdb"), root / "site", dt.date(2026, 11, 26))
    return root / "site"


def test_every_page_has_no_wcag_22_aa_violations_and_a_screenshot_is_kept(site, tmp_path):
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    found = {}
    with browser.serve(site) as base, browser.chromium(tmp_path / "profile") as driver:
        for page in pages:
            driver.get(base + page)
            assert driver.title.endswith("Bromsgrove District Council"), page
            violations = browser.axe_violations(driver)
            if violations:
                found[page] = [(v["id"], v.get("impact"), [n["html"][:120] for n in v["nodes"][:3]])
                               for v in violations]
        driver.get(base + "index.html")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        screenshot = ARTIFACTS / "public-site-home.png"
        assert driver.save_screenshot(str(screenshot))
    assert len(pages) >= 6 and found == {}
    assert screenshot.stat().st_size > 10_000


def test_keyboard_users_reach_the_skip_link_first_and_it_moves_focus_to_the_content(site, tmp_path):
    from selenium.webdriver.common.keys import Keys

    with browser.serve(site) as base, browser.chromium(tmp_path / "profile") as driver:
        driver.get(base + "measures/fly_tipping_clearance_days.html")
        driver.find_element("tag name", "body").send_keys(Keys.TAB)
        focused = driver.switch_to.active_element
        assert focused.text == "Skip to main content"
        focused.send_keys(Keys.ENTER)
        assert driver.switch_to.active_element.get_attribute("id") == "main-content"


def test_the_cabinet_report_and_a_briefing_have_no_wcag_22_aa_violations(tmp_path):
    """Reports become committee papers on the council's website: the HTML must be accessible too."""
    from outputs.reports import build_reports, report_periods

    if reason := browser.missing():
        pytest.fail(reason)
    out = tmp_path / "outputs"
    build_reports(build_outputs_fixture(tmp_path / "published.duckdb"), out,
                  report_periods(dt.date(2026, 11, 26), ("cabinet",)), pdf=False)
    folder = out / "reports" / "cabinet" / "2026-08"
    with browser.serve(folder) as base, browser.chromium(tmp_path / "profile") as driver:
        for page in ("cabinet-2026-08.html", "briefings/leader-of-the-council-2026-08.html"):
            driver.get(base + page)
            assert browser.axe_violations(driver) == [], page


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}  # a common phone's CSS pixels


def test_no_page_scrolls_sideways_on_a_390_pixel_phone_and_axe_still_passes(site, tmp_path):
    # A wide table may scroll inside its own box (a focusable region); the page itself must not, or every line
    # of text would need scrolling sideways to read (WCAG 2.2 reflow, 1.4.10).
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    wide, found = {}, {}
    with browser.serve(site) as base, browser.chromium(tmp_path / "profile") as driver:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        for page in pages:
            driver.get(base + page)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide[page] = width
            if violations := browser.axe_violations(driver):
                found[page] = [v["id"] for v in violations]
    assert wide == {} and found == {}


def test_screenshots_of_what_a_resident_sees_are_kept(site, tmp_path):
    # For a person to look at (test-artifacts/): the home page (October's ASB count is in progress, so September
    # leads), the fly-tipping chart (limits from the moving ranges, clamped at 0 days), and the same chart with a
    # trial recorded from March 2026 (a labelled line where the limits restart).
    import duckdb

    published = build_outputs_fixture(tmp_path / "published.duckdb")
    with duckdb.connect(str(published)) as con:
        con.execute("""INSERT INTO core.trials VALUES ('FT-01', 'Street scene', DATE '2026-03-02',
                       'Crews clear reports the same day', 'fly_tipping_clearance_days', 'Head of service',
                       'trials.csv', 'abc', 2)""")
    with_trial = tmp_path / "site-with-trial"
    build_site(published, with_trial, dt.date(2026, 11, 26))
    trial_page = (with_trial / "measures" / "fly_tipping_clearance_days.html").read_text()
    assert "Trial FT-01" in trial_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = {"public-site-home-390px.png": (site, "index.html", True),
             "fly-tipping-chart.png": (site, "measures/fly_tipping_clearance_days.html", False),
             "fly-tipping-chart-with-trial.png": (with_trial, "measures/fly_tipping_clearance_days.html", False)}
    for name, (folder, page, phone) in shots.items():
        with browser.serve(folder) as base, browser.chromium(tmp_path / f"profile-{name}") as driver:
            if phone:
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
            driver.get(base + page)
            if not phone:  # the chart, not the page's top
                driver.execute_script("document.querySelector('.bdc-chart').scrollIntoView()")
            assert driver.save_screenshot(str(ARTIFACTS / name)), name
        assert (ARTIFACTS / name).stat().st_size > 10_000, name


def test_the_data_quality_scorecard_page_has_no_wcag_22_aa_violations_and_a_screenshot_is_kept(tmp_path):
    """The Policy Team's internal page: public-sector accessibility rules cover intranets too."""
    from outputs.scorecard import build_scorecard
    from tests.test_scorecard_page import _published

    if reason := browser.missing():
        pytest.fail(reason)
    page = build_scorecard(_published(tmp_path / "published.duckdb"), tmp_path / "data-quality")
    with browser.serve(page.parent) as base, browser.chromium(tmp_path / "profile") as driver:
        driver.get(base + "index.html")
        assert driver.title.startswith("Data quality scorecard, night of 3 December 2026")
        assert browser.axe_violations(driver) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "data-quality-scorecard.png"))
