"""The public web dashboard (seed section 9): a static site built from the published warehouse, deployable by
copying one folder to any web server.

Pages: home (public measures by strategic purpose), one page per public measure (chart with a data-table
alternative, definition, what the latest data shows, commentary, quality status, latest by area, downloads),
demographics by ward, data quality, open data and the accessibility statement. Styled with the vendored
GOV.UK Frontend stylesheet; no script, no font or file from another site. Only `public: true` measures appear,
officers are never named, and small counts are suppressed (see publication.py).

Built in a temporary folder beside the target and swapped in, so a web server never serves half a site.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from outputs.folders import building
from outputs.open_data import VALUE_COLUMNS, Dataset, measure_values_query, write_dataset
from outputs.publication import SUPPRESSION_NOTE, format_value, open_published, published_at
from outputs.reports import template_environment
from outputs.unchanged import DIGEST_FILE, inputs_digest, remember, unchanged
from outputs.views import CRITERIA, MeasureView, measure_view
from warehouse.catalogue import Catalogue, catalogue
from warehouse.council import load_council

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")

DEMOGRAPHIC_COLUMNS = {
    "area_type": "district, locality or ward", "area_code": "ONS code or the council's locality code",
    "area_name": "Name of the area", "theme": "population, age or deprivation", "indicator": "What is measured",
    "value": "The value; blank when suppressed", "unit": "count, percent or score",
    "source": "Where the figure comes from", "suppressed": "true when a count of 1 to 4 residents is withheld"}
# Census counts of residents are suppressed at 1 to 4; deprivation counts are counts of areas (LSOAs), not people.
DEMOGRAPHICS_QUERY = """
SELECT area_type, area_code, area_name, theme, indicator,
       CASE WHEN NOT suppressed THEN value END AS value, unit, source, suppressed
FROM (SELECT *, area_type <> 'district' AND unit = 'count' AND theme <> 'deprivation'
                AND small_count(value, getvariable('suppress_below')) AS suppressed
      FROM marts.dashboard_demographics)
ORDER BY CASE area_type WHEN 'district' THEN 0 WHEN 'locality' THEN 1 ELSE 2 END, area_name, theme, indicator
"""


@dataclass
class SiteSummary:
    folder: Path
    pages: int
    files: int
    bytes: int
    measures: int


def build_site(published_path: Path, site_dir: Path, as_of: dt.date, cat: Catalogue | None = None) -> SiteSummary:
    """Build the whole site into `site_dir` (replacing the previous build in one rename), with the periods that
    ended before `as_of` (a month still in progress is left out)."""
    cat = cat or catalogue()
    until = as_of - dt.timedelta(days=1)
    with open_published(published_path, as_of=as_of) as con:
        digest = inputs_digest(con, "outputs.public_site", until)
        if unchanged(site_dir, digest):  # every public figure, commentary and status is as when it was built
            log.info("public site: its data is unchanged since it was built; kept")
        else:
            with building(site_dir) as temporary:
                _build(con, cat, temporary, until=until)
                remember(temporary, digest)
    files = [p for p in site_dir.rglob("*") if p.is_file() and p.name != DIGEST_FILE]
    public = sum(1 for m in cat.measures.values() if m.public)
    pages = sum(1 for p in files if p.suffix == ".html")
    summary = SiteSummary(site_dir, pages, len(files), sum(p.stat().st_size for p in files), public)
    log.info("public site: %d pages, %d files, %.1f MB in %s", summary.pages, summary.files,
             summary.bytes / 1e6, site_dir)
    return summary


def copy_stylesheets(out: Path) -> None:
    """The vendored GOV.UK stylesheet, the site's own and the licence, into `out/assets/` (nothing fetched)."""
    (out / "assets").mkdir()
    for name in ("govuk-frontend.min.css", "site.css", "govuk-frontend-LICENSE.txt"):
        shutil.copy(STATIC / name, out / "assets" / name)


def _build(con: duckdb.DuckDBPyConnection, cat: Catalogue, out: Path, until: dt.date) -> None:
    env = template_environment()
    updated = published_at(con)
    copy_stylesheets(out)
    views = [measure_view(con, cat, m, until=until) for m in cat.measures.values() if m.public]
    council = load_council()
    common = {"council": council.council_name, "service_name": council.service_name, "area_name": council.area_name,
              "district_name": council.name, "updated": updated,
              "suppression_note": SUPPRESSION_NOTE, "criteria": CRITERIA}

    def page(path: str, template: str, **context) -> None:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        root = "../" * path.count("/")
        target.write_text(env.get_template(template).render(root=root, path=path, **common, **context),
                          encoding="utf-8")

    by_purpose = [(p, [v for v in views if v.measure.purpose == p.id]) for p in cat.purposes.values()]
    page("index.html", "site_home.html.j2", title="Home", purposes=[(p, vs) for p, vs in by_purpose if vs])
    write_dataset(con, Dataset("measure-values", f"{council.name} performance measures",
                               "Every public performance measure's values by period and area.",
                               measure_values_query(), VALUE_COLUMNS), out / "data", updated)
    for view in views:
        m = view.measure
        write_dataset(con, Dataset(m.id, m.title, f"{m.title}: values by period and area.",
                                   measure_values_query(m.id), VALUE_COLUMNS, unit=m.unit, definition=m.definition),
                      out / "data" / "measures", updated)
        page(f"measures/{m.id}.html", "site_measure.html.j2", title=m.title, view=view,
             areas=_latest_by_area(con, view))
        for former in m.renamed_from:  # a renamed measure's old address still leads to it
            page(f"measures/{former}.html", "site_moved.html.j2", title=m.title, measure=m, former=former,
                 target=f"{m.id}.html")
    write_dataset(con, Dataset("ward-demographics", f"{council.name} demographics by ward and locality",
                               "Census 2021 population and age, and deprivation (IMD 2019), by area.",
                               DEMOGRAPHICS_QUERY, DEMOGRAPHIC_COLUMNS), out / "data", updated)
    page("demographics.html", "site_demographics.html.j2", title="Demographics by ward",
         rows=_rows(con, DEMOGRAPHICS_QUERY))
    page("data-quality.html", "site_quality.html.j2", title="Data quality", views=views)
    page("open-data.html", "site_open_data.html.j2", title="Open data", views=views)
    page("data-dictionary.html", "site_data_dictionary.html.j2", title="Data dictionary",
         tables=_dictionary(con))
    page("accessibility.html", "site_accessibility.html.j2", title="Accessibility statement")


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _dictionary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[dict]]]:
    """(schema.table, its columns) of the published copy's data dictionary, in the copy's order."""
    tables: dict[str, list[dict]] = {}
    for row in _rows(con, "SELECT * FROM marts.data_dictionary ORDER BY schema_name, table_name, column_position"):
        tables.setdefault(f"{row['schema_name']}.{row['table_name']}", []).append(row)
    return list(tables.items())


def _latest_by_area(con: duckdb.DuckDBPyConnection, view: MeasureView) -> list[dict]:
    """The latest period's value in each locality and ward, suppressed where it must be."""
    if view.latest_period is None:
        return []
    rows = con.execute("""SELECT area_type, area_name, value, suppressed FROM suppressed_values
                          WHERE measure_id = ? AND period_start = ? AND area_type IN ('locality', 'ward')
                          ORDER BY area_type, area_name""", [view.measure.id, view.latest_period]).fetchall()
    return [{"area_type": t, "area_name": n, "value": format_value(v, view.measure.unit), "suppressed": s}
            for t, n, v, s in rows]

