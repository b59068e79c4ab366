"""Reports to Members, the public site, open data and partner packs, built from the hand-made published warehouse
in tests/fixtures/outputs/warehouse.sql. Expected values are worked out by hand in the comments.

Fly-tipping clearance (median days, lower is better), July 2025 to October 2026:
    2 3 2 3 2 3 2 3 | 4 3.5 4 3.5 4 3.5 4 (Mar-Sep 2026) | 2 (Oct 2026)
- Up to September 2026 (the Cabinet and O&S periods end on 30 September): mean 46.5 / 15 = 3.1; moving ranges
  seven 1s, one 1 and six 0.5s = 11 / 14 = 0.786 (none screened: 3.267 x 0.786 = 2.57); near limits
  3.1 +/- 2/3 x 2.66 x 0.786 = 1.71 and 4.49, so no 2-of-3; limits 1.01 and 5.19, nothing outside; the last
  7 points are all above the mean: a shift, and above is worse, so "Special cause concern: 7 months in a row
  above the mean."
- With October (the site shows every ended month): mean 48.5 / 16 = 3.03, and October (2) is below it, alone:
  common cause. November 2026 (9) is still in progress on 26 November, so it is left out: with it, 9 would be
  far above the upper limit.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from outputs.partner_packs import SharingAgreement, build_partner_packs, load_agreements
from outputs.reports import build_reports, report_periods
from outputs.site import build_site
from tests.conftest import build_outputs_fixture
from warehouse.catalogue import CatalogueError, catalogue

AS_OF = dt.date(2026, 11, 26)  # Cabinet: August-September 2026; O&S: quarter 2, July-September 2026
FLY = "fly_tipping_clearance_days"
ALPHA, BETA, GAMMA = "E05015400", "E05015401", "E05015402"
# Columns that would carry personal data or point at officers' files: none may appear in any output.
PERSONAL = {"uprn", "postcode", "name", "forename", "surname", "email", "phone", "address", "date_of_birth",
            "case_key", "contact_key", "crime_id", "commentary_by", "signed_off_by", "commentary_file",
            "sign_off_file", "_source_file", "owner_email", "latitude", "longitude"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("outputs")
    published = build_outputs_fixture(root / "published.duckdb")
    out = root / "outputs"
    build_reports(published, out, report_periods(AS_OF))
    build_site(published, out / "site", AS_OF)
    return out


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="measure" id="([a-z0-9_]+)"', html)


def test_cabinet_report_has_focus_then_key_measures_with_words_commentary_and_quality(outputs):
    folder = outputs / "reports" / "cabinet" / "2026-08"
    html = (folder / "cabinet-2026-08.html").read_text()
    assert (folder / "cabinet-2026-08.pdf").read_bytes()[:5] == b"%PDF-"
    # Three of its 17 measures have September (fly-tipping, homelessness, sickness); the fixture has no rows of the
    # other 14 at all, and the title says so.
    assert ("<h1>Cabinet performance report: August to September 2026: no September 2026 value for 14 of 17 "
            "measures</h1>") in html
    strategic = [m.id for m in catalogue().measures.values() if m.level == "strategic"]
    # The focus measure (operational, so only here because CMT chose it) first, then every key measure once.
    assert sections(html)[0] == FLY and sorted(sections(html)[1:]) == sorted(strategic)
    assert "Clearance has been slower since the summer." in html
    fly = html[html.index(f'id="{FLY}"'):html.index(f'id="{sections(html)[1]}"')]
    assert "What the chart says: Special cause concern: 7 months in a row above the mean." in fly
    assert "by Street Scene officer Jo Bloggs, 6 October 2026: A vehicle was off the road in August" in fly
    assert "Signed off</strong> by Head of Environmental Services on 8 October 2026" in fly
    assert "October is back to normal" not in html  # October's commentary is after the period
    assert re.search(r'<th scope="row">reliable</th><td class="status-warn">warn</td>\s*<td>October 2026 rests on '
                     r'9 records; usually about 20.</td>', fly)
    # The chart is embedded (no file or site to fetch) and has a text alternative saying what it shows.
    image = re.search(r'<img src="(data:image/svg\+xml;base64,[^"]+)" alt="([^"]+)"', fly)
    assert image and image.group(2).startswith("SPC chart of Fly-tipping: days from report to clearance (median), "
                                               "15 points from July 2025 to September 2026.")
    assert "<script" not in html and not re.search(r'(src|href)="https?://', html)
    # A key measure with no data still has its section, saying so.
    assert "No data for this period yet." in html


def test_scrutiny_report_builds_without_a_focus_list(outputs):
    html = (outputs / "reports" / "scrutiny" / "2026-07" / "scrutiny-2026-07.html").read_text()
    assert "Quarter 2 2026/27: July to September 2026" in html
    assert "has not set a focus list for this period" in html
    assert FLY not in sections(html)  # operational and not chosen for O&S
    assert (outputs / "reports" / "scrutiny" / "2026-07" / "scrutiny-2026-07.pdf").exists()
    assert not (outputs / "reports" / "scrutiny" / "2026-07" / "briefings").exists()  # briefings come before Cabinet


def test_portfolio_holder_briefings_hold_only_their_purposes(outputs):
    briefings = outputs / "reports" / "cabinet" / "2026-08" / "briefings"
    environment = (briefings / "environmental-services-and-community-safety-2026-08.html").read_text()
    # Keep my place safe and looking good: the focus measure, then its key measures by title ("Fly-tipping
    # reports received", "Recorded crime per 1,000 residents").
    assert sections(environment) == [FLY, "fly_tipping_reports", "crimes_per_1000"]
    leader = (briefings / "leader-of-the-council-2026-08.html").read_text()  # Enabling
    assert "sickness_days_per_fte" in sections(leader) and FLY not in sections(leader)
    assert (briefings / "leader-of-the-council-2026-08.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_period_that_no_report_starts_is_refused():
    with pytest.raises(ValueError, match="2026-09 does not start a Cabinet performance report period"):
        report_periods(AS_OF, ("cabinet",), dt.date(2026, 9, 1))


def test_site_shows_only_public_measures_and_no_personal_data(outputs):
    site = outputs / "site"
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    public = sorted(f"measures/{m.id}.html" for m in catalogue().measures.values() if m.public)
    # The three measures renamed to the naming convention keep their old addresses, as pages that lead on.
    moved = ["measures/failure_demand_share.html", "measures/online_contact_share.html",
             "measures/relet_days_mean.html"]
    assert pages == sorted(["index.html", "demographics.html", "data-quality.html", "open-data.html",
                            "data-dictionary.html", "accessibility.html", *public, *moved])
    old_address = (site / "measures" / "failure_demand_share.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=failure_demand_pct.html">' in old_address
    assert 'href="failure_demand_pct.html"' in old_address and (site / "measures" / "failure_demand_pct.html").exists()
    assert "measures/sickness_days_per_fte.html" not in pages
    text = "\n".join(p.read_text() for p in site.rglob("*") if p.suffix in (".html", ".csv", ".json"))
    assert "sickness" not in text.lower()  # not public: not on any page or in any download
    assert "Jo Bloggs" not in text and "/landing/" not in text  # officers are never named; no file paths
    measure = (site / "measures" / f"{FLY}.html").read_text()
    assert "Common cause variation" in measure  # October, below the mean on its own (see the module docstring)
    assert measure.count("Special cause: concern") == 7  # the data table: March to September 2026
    # October's commentary is not signed off: the public page says it awaits sign-off and does not show it.
    assert "October is back to normal." not in text and "awaiting sign-off by the head of service" in measure
    assert f'href="../data/measures/{FLY}.csv"' in measure and (site / "data" / "measures" / f"{FLY}.csv").exists()
    for path in [*site.rglob("*.csv"), *site.rglob("*.json"), *site.rglob("*.parquet")]:
        if path.name.endswith(".metadata.json"):
            continue
        reader = {"csv": "read_csv", "json": "read_json", "parquet": "read_parquet"}[path.suffix[1:]]
        columns = {r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM {reader}('{path}')").fetchall()}
        assert not columns & PERSONAL, (path, columns & PERSONAL)


def test_small_counts_are_suppressed_on_the_site_and_in_open_data(outputs):
    site = outputs / "site"
    rows = {(r["measure_id"], r["area_code"]): r for r in csv.DictReader((site / "data" / "measure-values.csv").open())}
    # ASB: Alpha's 3 is withheld. The wards of North add up to North's 15, so one other ward is withheld too, or
    # Alpha would be 15 - 0 - 12. Never Beta's 0 (withholding a zero hides nothing: 15 - 12 would still give 3):
    # Gamma's 12, the smallest non-zero. Beta's 0, North's 15 and the district's 15 are shown.
    asb = {code: (rows[("asb_incidents", code)]["value"], rows[("asb_incidents", code)]["suppressed"])
           for code in (ALPHA, BETA, GAMMA, "north", "E07000234")}
    assert asb == {ALPHA: ("", "true"), BETA: ("0.0", "false"), GAMMA: ("", "true"), "north": ("15.0", "false"),
                   "E07000234": ("15.0", "false")}
    # Homelessness: Alpha's 20% rests on 2 cases (value, numerator and denominator withheld); Beta's 6 of 8 = 75%
    # is withheld on its own account: the 2 of 8 not prevented are a complement of 1 to 4. Gamma had no cases:
    # its row is there (0 of 0, no value), so a missing row reveals nothing. The district's 8 of 18 is shown.
    alpha = rows[("homelessness_prevented_relieved_pct", ALPHA)]
    assert (alpha["value"], alpha["numerator"], alpha["denominator"], alpha["suppressed"]) == ("", "", "", "true")
    assert rows[("homelessness_prevented_relieved_pct", BETA)]["suppressed"] == "true"
    gamma = rows[("homelessness_prevented_relieved_pct", GAMMA)]
    assert [gamma[k] for k in ("value", "numerator", "denominator", "suppressed")] == ["", "0.0", "0.0", "false"]
    assert rows[("homelessness_prevented_relieved_pct", "E07000234")]["numerator"] == "8.0"
    page = (site / "measures" / "asb_incidents.html").read_text()
    assert "[c]" in page and "suppressed below district level" in page
    demographics = (site / "demographics.html").read_text()
    # Alpha's 3 residents are withheld; its 2 deprived LSOAs are areas, not people, and are shown.
    assert re.search(r"Alpha</th>.*?Usual residents</td>\s*<td[^>]*>\[c\]</td>", demographics, re.S)
    assert re.search(r"Alpha</th>.*?most deprived 30% nationally</td>\s*<td[^>]*>2</td>", demographics, re.S)


def test_open_data_formats_and_metadata(outputs):
    data = outputs / "site" / "data"
    meta = json.loads((data / "measure-values.metadata.json").read_text())
    assert meta["licence"]["name"] == "Open Government Licence v3.0"
    assert meta["licence"]["url"] == "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert meta["publisher"] == "Bromsgrove District Council" and meta["last_updated"] == "2026-11-20T03:15:00"
    header = next(csv.reader((data / "measure-values.csv").open()))
    assert [c["name"] for c in meta["columns"]] == header and all(c["description"] for c in meta["columns"])
    # 16 fly-tipping + 5 ASB + 4 homelessness rows (Gamma's, with no cases, filled in); sickness is not public.
    assert meta["rows"] == 25
    assert len(json.loads((data / "measure-values.json").read_text())) == 25
    assert duckdb.sql(f"SELECT count(*) FROM '{data / 'measure-values.parquet'}'").fetchone()[0] == 25
    fly = json.loads((data / "measures" / f"{FLY}.metadata.json").read_text())
    assert (fly["title"], fly["unit"]) == ("Fly-tipping: days from report to clearance (median)", "days")
    assert fly["definition"].startswith("Median number of days")


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(outputs):
    data = outputs / "site" / "data"
    names = {r["area_code"]: r["area_name"] for r in csv.DictReader((data / "measure-values.csv").open())}
    assert names[ALPHA] == "'=HYPERLINK(\"http://evil.example\",\"Alpha\")"
    assert names[BETA] == "'@SUM(1+1)" and names[GAMMA] == "'-Gamma"
    # JSON and Parquet keep the value as it is.
    json_names = {r["area_code"]: r["area_name"] for r in json.loads((data / "measure-values.json").read_text())}
    assert json_names[ALPHA] == '=HYPERLINK("http://evil.example","Alpha")'
    for path in (outputs / "site").rglob("*.csv"):
        for row in csv.reader(path.open()):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@"):
                    float(cell)  # only a number may start so: anything else would raise


def _agreement(partner: str, measures: tuple[str, ...], fields: tuple[str, ...], geography: str,
               suppress_below: int) -> SharingAgreement:
    return SharingAgreement(partner, partner.title(), "Test agreement", "data@partner.example", measures, fields,
                            geography, suppress_below)


def test_partner_packs_hold_only_agreed_fields_with_checksums_that_verify(tmp_path):
    published = build_outputs_fixture(tmp_path / "published.duckdb")
    police = _agreement("police", ("asb_incidents",),
                        ("measure_id", "area_code", "period_start", "value", "suppressed"), "ward", 13)
    county = _agreement("county", ("asb_incidents", "homelessness_prevented_relieved_pct"),
                        ("measure_id", "area_type", "area_code", "value", "numerator", "denominator"), "locality", 5)
    manifests = build_partner_packs(published, tmp_path / "out", AS_OF, [police, county])
    assert manifests == [tmp_path / "out" / "partners" / p / "2026-11-26" / "manifest.json"
                         for p in ("police", "county")]
    for manifest_path in manifests:
        manifest = json.loads(manifest_path.read_text())
        for entry in manifest["files"]:
            assert hashlib.sha256((manifest_path.parent / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=manifest_path.parent, capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    with (manifests[0].parent / "asb_incidents.csv").open() as handle:
        police_rows = list(csv.DictReader(handle))
    assert list(police_rows[0]) == ["measure_id", "area_code", "period_start", "value", "suppressed"]
    # Police's rule withholds 1 to 12: Alpha's 3 and Gamma's 12. Two of North's wards are withheld, so no third
    # is needed: Beta's 0, North's 15 and the district's 15 stay.
    assert {r["area_code"]: r["value"] for r in police_rows} == {
        "E07000234": "15.0", "north": "15.0", ALPHA: "", BETA: "0.0", GAMMA: ""}
    with (manifests[1].parent / "homelessness_prevented_relieved_pct.csv").open() as handle:
        county_rows = list(csv.DictReader(handle))
    assert [r["area_type"] for r in county_rows] == ["district"]  # locality level: no wards
    assert "area_name" not in county_rows[0] and "period_start" not in county_rows[0]
    # Each file's manifest entry says what its figures are, for a partner who never sees the site.
    (asb,) = json.loads(manifests[0].read_text())["files"]
    asb_measure = catalogue().measures["asb_incidents"]
    assert (asb["title"], asb["unit"], asb["definition"]) == (asb_measure.title, "count", asb_measure.definition)
    assert asb["definition"] and asb["frequency"] == "monthly"


def test_sharing_agreements_are_validated(tmp_path):
    assert {a.partner for a in load_agreements()} >= {"west_mercia_police"}  # the shipped config is valid
    bad = tmp_path / "agreements.yaml"
    base = ("- partner: p\n  name: P\n  agreement: A\n  contact: c@p.example\n  measures: [asb_incidents]\n"
            "  geography: ward\n")
    bad.write_text(base + "  fields: [measure_id, uprn]\n  suppress_below: 5\n")
    with pytest.raises(CatalogueError, match=r"field\(s\) \['uprn'\] are not shareable"):
        load_agreements(bad)
    bad.write_text(base + "  fields: [measure_id, value]\n  suppress_below: 3\n")
    with pytest.raises(CatalogueError, match="suppress_below must be at least 5"):
        load_agreements(bad)


def test_a_dataset_with_a_personal_data_column_is_refused(tmp_path):
    from outputs.open_data import Dataset, write_dataset

    dataset = Dataset("leak", "Leak", "A mistake", "SELECT 'B61 8DA' AS postcode", {"postcode": "Postcode"})
    with pytest.raises(ValueError, match=r"leak: column\(s\) \['postcode'\] would publish personal data"):
        write_dataset(duckdb.connect(), dataset, tmp_path, dt.datetime(2026, 11, 20))
    assert not list(tmp_path.iterdir())


def test_a_report_title_says_which_months_of_its_period_are_not_in_yet():
    from outputs.reports import covered_label
    from outputs.views import MeasureView
    from warehouse.reporting_periods import REPORT_KINDS, period_starting

    def views(*latest: dt.date | None) -> list[MeasureView]:  # monthly measures whose latest month is `latest`
        measure = catalogue().measures["missed_bins"]
        return [MeasureView(measure, "", "", "", [], [], "", None, "", "", day, None) for day in latest]

    oct_, nov = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    cabinet = period_starting(REPORT_KINDS["cabinet"], oct_)  # October to November 2026
    assert covered_label(cabinet, views(nov, nov)) == "October to November 2026"
    assert covered_label(cabinet, views(oct_, oct_)) == \
        "October to November 2026: data for October 2026 only, November 2026 not yet in"
    # One measure in, two not: the title says so (each measure's line says which months it lacks).
    assert covered_label(cabinet, views(nov, oct_, None)) == \
        "October to November 2026: no November 2026 value for 2 of 3 measures"
    assert covered_label(cabinet, views(dt.date(2026, 9, 1))) == \
        "October to November 2026: no month in yet (October 2026 and November 2026 not yet in)"
    assert covered_label(cabinet, views(None)) == covered_label(cabinet, views(dt.date(2026, 9, 1)))
    scrutiny = period_starting(REPORT_KINDS["scrutiny"], dt.date(2026, 7, 1))
    assert covered_label(scrutiny, views(dt.date(2026, 8, 1))) == ("Quarter 2 2026/27: July to September 2026: "
                                                                   "data for July 2026 to August 2026 only, "
                                                                   "September 2026 not yet in")


def test_a_period_verdict_judges_every_month_of_the_period_not_only_the_last():
    from outputs.views import MeasureView
    from warehouse.spc import COMMON, CONCERN, SpcPoint

    # The quarter July to September: July common cause, August and September special cause concern (the O&S
    # report used to print only September's verdict); a month before the quarter is not counted.
    kinds = [COMMON, COMMON, CONCERN, CONCERN]
    points = [SpcPoint(value=v, segment=1, mean=10.0, upper_limit=16.0, lower_limit=4.0, point_type=k)
              for v, k in zip((9.0, 10.0, 17.0, 18.0), kinds, strict=True)]
    periods = [dt.date(2026, m, 1) for m in (6, 7, 8, 9)]
    view = MeasureView(catalogue().measures["missed_bins"], "", "", "", periods, points, "", None, "", "18",
                       periods[-1], None)
    july, september = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
    assert view.period_words(july, september) == \
        "Common cause in Jul 2026; Special cause: concern in Aug 2026 and Sep 2026"
    # Up to August only (September not delivered): August's verdict, and September said to be missing.
    short = MeasureView(view.measure, "", "", "", periods[:3], points[:3], "", None, "", "17", periods[2], None)
    assert short.period_words(july, september) == \
        "Common cause in Jul 2026; Special cause: concern in Aug 2026; no value for Sep 2026"
    assert short.period_words(dt.date(2026, 10, 1), dt.date(2026, 12, 31)) == \
        "no value for Oct 2026, Nov 2026 and Dec 2026"
    # A quarterly measure's July-to-September point ends inside a Cabinet period of August to September: it counts.
    import dataclasses

    quarterly = dataclasses.replace(view.measure, frequency="quarterly")
    quarter = MeasureView(quarterly, "", "", "", [july], [points[0]], "", None, "", "9", july, None,
                          period_ends=[dt.date(2026, 9, 30)])
    assert quarter.period_words(dt.date(2026, 8, 1), september) == "Common cause in Jul 2026"


def test_every_warehouse_module_the_outputs_import_is_in_their_code_digest():
    # An output is rebuilt only when its digest changes. The charts' limits, the verdicts and the trial outcomes
    # are computed by warehouse modules the outputs import: a fix there (say, SPC limits) must rebuild the pages
    # that print them, not wait for next month's data. Every such module, found from the outputs' own imports.
    import ast

    from outputs.unchanged import OUTPUTS_DIR, digested_files

    root, imported = OUTPUTS_DIR.parent, set()
    for source in OUTPUTS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("warehouse"):
                imported.add(node.module)
    assert {"warehouse.spc", "warehouse.spc_marts", "warehouse.trials"} <= imported
    files = {p.relative_to(root).as_posix() for p in digested_files()}
    for module in sorted(imported):
        path = module.replace(".", "/")
        assert f"{path}.py" in files or f"{path}/__init__.py" in files, module


def test_a_period_in_progress_never_headlines(outputs):
    # The fixture's October ASB count (40) is in the warehouse, but the police file for October is due on
    # 28 November: on 26 November the period is in progress. The site leads with September's 15, says what
    # October awaits, and no output releases October's partial count.
    site = outputs / "site"
    home = (site / "index.html").read_text()
    row = re.search(r'href="measures/asb_incidents.html">[^<]*</a></th>(.*?)</tr>', home, re.S)[1]
    cells = re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', row)
    assert cells[:2] == ["15", "September 2026"], cells
    page = (site / "measures" / "asb_incidents.html").read_text()
    assert "October 2026</dt>" in page and "Not shown yet: awaiting Street-level crime and anti-social " \
        "behaviour (police.uk) for October 2026 (due 28 November 2026)" in page
    assert ">40<" not in page
    released = [r for r in csv.DictReader((site / "data" / "measure-values.csv").open())
                if r["measure_id"] == "asb_incidents"]
    assert released and {r["period_start"] for r in released} == {"2026-09-01"}


def test_the_site_has_a_data_dictionary_of_the_published_copy(outputs):
    page = (outputs / "site" / "data-dictionary.html").read_text()
    # every table of the copy, each column with its type and description (written once in dictionary.yaml)
    assert '<h2 class="govuk-heading-m" id="marts-measure_values">marts.measure_values</h2>' in page
    row = re.search(r"<code>observations</code></th>\s*<td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>", page)
    assert row and row.groups() == ("BIGINT", "Records behind the value.")
    assert 'href="data-dictionary.html"' in (outputs / "site" / "open-data.html").read_text()


def test_the_home_page_says_in_words_how_the_latest_compares_and_whether_it_is_a_real_change(outputs):
    home = (outputs / "site" / "index.html").read_text()

    def said(measure_id: str) -> str:
        row = re.search(rf'href="measures/{measure_id}.html">[^<]*</a></th>(.*?)</tr>', home, re.S)[1]
        return re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', row)[2]

    # Fly-tipping (lower is better): October 2026's 2 days against September's 4 and October 2025's 3 (see the
    # module docstring's series); October is common cause.
    assert said(FLY) == ("Lower (better) than September 2026 (4.0 days); lower (better) than October 2025 "
                         "(3.0 days). Within normal variation: no sign of a real change.")
    # ASB has one complete month (October is in progress): nothing to compare, no limits yet.
    assert said("asb_incidents") == "Too few points yet to tell a real change from normal variation."


def test_the_data_quality_page_gives_the_reason_for_each_warning(outputs):
    page = (outputs / "site" / "data-quality.html").read_text()
    reasons = page.split("What needs a look, and why", 1)[1]
    # The fixture's one warning: fly-tipping's reliable check. Only flagged measures are listed.
    assert re.findall(r'<h3 class="govuk-heading-m" id="([a-z_]+)-reasons">', reasons) == [FLY]
    assert ("<strong>Reliable: needs a look.</strong> October 2026 rests on 9 records; usually about 20."
            in reasons)
    assert 'class="bdc-table-scroll" tabindex="0" role="region"' in page  # the wide table scrolls in its box


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (63.25, "percent", "63.2%"), (1234.0, "count", "1,234"), (12.44, "days", "12.4 days"),
    (3.05, "per 1,000 residents", "3.0 per 1,000 residents"), (7.0, "days per FTE", "7.0 days per FTE"),
    (1.5, "visits", "1.5 (visits)"), (None, "percent", "[c]")])
def test_a_value_is_shown_in_its_unit(value, unit, shown):
    from outputs.publication import format_value

    assert format_value(value, unit) == shown  # withheld ([c]) when there is no value to show


def test_last_updated_is_the_copy_s_publish_time_or_else_the_night_s_clock(monkeypatch):
    from outputs.publication import published_at
    from warehouse import clock

    monkeypatch.setattr(clock, "timestamp", lambda: dt.datetime(2026, 11, 12, 2, 30))
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.publish_info (published_at TIMESTAMP)")
        assert published_at(con) == dt.datetime(2026, 11, 12, 2, 30)  # a copy being built: not yet published
        con.execute("INSERT INTO marts.publish_info VALUES ('2026-11-11 02:41'), ('2026-11-10 02:35')")
        assert published_at(con) == dt.datetime(2026, 11, 11, 2, 41)


def test_a_dataset_s_metadata_describes_each_column_with_its_type_and_says_how_figures_are_kept(tmp_path):
    from outputs.open_data import Dataset, write_dataset

    dataset = Dataset("tiny", "Tiny", "Two wards", "SELECT * FROM (VALUES ('E05015400', 3), ('E05015401', 12)) "
                      "t(area_code, value)", {"area_code": "Ward code", "value": "Contacts"})
    with duckdb.connect() as con:
        paths = write_dataset(con, dataset, tmp_path, dt.datetime(2026, 11, 20, 3, 15))
    assert [p.name for p in paths] == ["tiny.csv", "tiny.json", "tiny.parquet", "tiny.metadata.json"]
    text = (tmp_path / "tiny.metadata.json").read_text()
    assert text.startswith('{\n  "title": "Tiny",\n')  # indented for a person reading it
    meta = json.loads(text)
    assert meta["columns"] == [{"name": "area_code", "type": "VARCHAR", "description": "Ward code"},
                               {"name": "value", "type": "INTEGER", "description": "Contacts"}]
    assert (meta["rows"], meta["last_updated"]) == (2, "2026-11-20T03:15:00")
    assert meta["files"] == {"csv": "tiny.csv", "json": "tiny.json", "parquet": "tiny.parquet"}
    assert "Below district level a month keeps the figures it was first published with" in meta["notes"]
    assert meta["notes"].endswith("In the CSV, text beginning with =, +, - or @ is prefixed with an apostrophe.")


def test_a_dataset_whose_columns_do_not_match_their_descriptions_is_refused_naming_both(tmp_path):
    from outputs.open_data import Dataset, write_dataset

    dataset = Dataset("odd", "Odd", "A mistake", "SELECT 1 AS value, 2 AS extra", {"value": "Contacts"})
    with pytest.raises(ValueError, match=re.escape("odd: columns ['value', 'extra'] do not match their descriptions "
                                                   "['value']")):
        write_dataset(duckdb.connect(), dataset, tmp_path, dt.datetime(2026, 11, 20))
    assert not list(tmp_path.iterdir())
