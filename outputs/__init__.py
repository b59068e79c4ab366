"""What the warehouse produces for people, built from the published (read-only) warehouse: reports to Members,
the public web dashboard with its open data, and partner data-sharing packs.

- publication.py: reads the published warehouse (public measures, small-count suppression, commentary, quality)
- views.py: one measure as every output shows it (SPC chart, words, commentary, quality)
- charts.py: the SPC chart as an embedded SVG with its text alternative
- reports.py: Cabinet / O&S reports and Portfolio Holder briefings (HTML and PDF)
- site.py and open_data.py: the static GOV.UK-style site and its CSV / JSON / Parquet downloads
- partner_packs.py: per-partner CSVs from warehouse/catalogue/sharing_agreements.yaml, with a SHA-256 manifest
- scorecard.py: the Policy Team's internal data-quality scorecard in plain words
"""

# The tables the outputs read (for the `relevant` lineage walk: a source feeding only a report is still used).
# Each output is rebuilt only when the rows it reads change (outputs/unchanged.py): a period turning complete or
# provisional, or a cell's disclosure, changes what it shows though marts.measure_values does not change.
READS = {
    "outputs.reports": ("marts.measure_values", "marts.period_completeness", "core.trials", "core.measure_commentary",
                        "core.focus_measures", "core.dim_measure", "marts.quality_scorecard", "marts.publish_info"),
    "outputs.public_site": ("marts.measure_values", "marts.period_completeness", "marts.disclosed_values",
                            "core.trials", "core.measure_commentary", "core.dim_area", "core.dim_measure",
                            "marts.quality_scorecard", "marts.dashboard_demographics", "marts.data_dictionary",
                            "marts.publish_info"),
    "outputs.partner_packs": ("marts.measure_values", "marts.disclosed_values", "core.dim_area", "core.dim_measure",
                              "marts.publish_info"),
    "outputs.quality_scorecard_page": ("marts.quality_scorecard", "audit.check_results", "marts.publish_info"),
}
