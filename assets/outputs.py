"""Outputs for people, built after each publish from the published (read-only) warehouse: reports to Members,
the public web dashboard with its open data, and partner data-sharing packs (seed sections 8 and 9).
Code: outputs/."""

import time

import dagster as dg

from assets.common import POLICY_OWNERS, PUBLISHED
from outputs.partner_packs import build_partner_packs
from outputs.reports import build_reports, report_periods
from outputs.scorecard import build_scorecard
from outputs.site import build_site
from warehouse.settings import SettingsResource


def output_asset(name: str, kinds: set[str], description: str):
    """An output for people: `outputs/<name>`, built from the published copy after each publish."""
    return dg.asset(key=dg.AssetKey(["outputs", name]), group_name="outputs", kinds=kinds, owners=POLICY_OWNERS,
                    deps=[PUBLISHED], description=description)


@output_asset("reports", {"html", "pdf"},
              "The Cabinet report (bi-monthly) and the Overview and Scrutiny report (quarterly) for the "
              "latest ended period, and the Portfolio Holder briefings before Cabinet, as HTML and PDF in "
              "$BDC_OUTPUTS_DIR/reports/<cabinet|scrutiny>/<YYYY-MM>/: key measures plus CMT's focus "
              "list, each with its SPC chart, words, commentary, sign-off and data quality. "
              "Code: outputs/reports.py")
def reports(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    settings = settings.get()
    started = time.perf_counter()
    periods = report_periods(settings.as_of)
    files = build_reports(settings.published_path, settings.outputs_dir, periods, pdf=settings.reports_pdf)
    seconds = time.perf_counter() - started
    context.log.info(f"{len(files)} report files for {', '.join(p.label for p in periods)} in {seconds:.1f} s")
    return dg.MaterializeResult(metadata={
        "files": len(files), "seconds": round(seconds, 1),
        "periods": ", ".join(f"{p.kind.id} {p.key}" for p in periods),
        "folder": dg.MetadataValue.path(str(settings.outputs_dir / "reports"))})


@output_asset("public_site", {"html", "csv", "parquet"},
              "The public web dashboard: a static GOV.UK-style site of the public measures (charts with "
              "data tables, commentary, quality, demographics by ward) and its open data (CSV, JSON, "
              "Parquet with metadata, OGL v3), small counts suppressed, in $BDC_OUTPUTS_DIR/site/. "
              "Deploy by copying the folder. Code: outputs/site.py, open_data.py")
def public_site(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    settings = settings.get()
    started = time.perf_counter()
    summary = build_site(settings.published_path, settings.outputs_dir / "site", settings.as_of)
    seconds = time.perf_counter() - started
    context.log.info(f"public site: {summary.pages} pages, {summary.files} files, "
                     f"{summary.bytes / 1e6:.1f} MB in {seconds:.1f} s")
    return dg.MaterializeResult(metadata={
        "pages": summary.pages, "files": summary.files, "megabytes": round(summary.bytes / 1e6, 1),
        "public_measures": summary.measures, "seconds": round(seconds, 1),
        "folder": dg.MetadataValue.path(str(summary.folder))})


@output_asset("partner_packs", {"csv"},
              "Each partner's data-sharing pack for today from warehouse/catalogue/sharing_agreements.yaml "
              "(agreed measures, fields and geography, suppressed) with a SHA-256 manifest, in "
              "$BDC_OUTPUTS_DIR/partners/<partner>/<YYYY-MM-DD>/. Code: outputs/partner_packs.py")
def partner_packs(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    settings = settings.get()
    manifests = build_partner_packs(settings.published_path, settings.outputs_dir, settings.as_of)
    context.log.info(f"{len(manifests)} partner pack(s) for {settings.as_of}")
    return dg.MaterializeResult(metadata={
        "partners": len(manifests), "day": settings.as_of.isoformat(),
        "folder": dg.MetadataValue.path(str(settings.outputs_dir / "partners"))})


@output_asset("quality_scorecard_page", {"html"},
              "The Policy Team's data-quality scorecard in plain words, internal: what needs doing and by "
              "whom (every measure, source or mart with a warning or failure, the reason, the owner), then "
              "each one's latest verdict, in $BDC_OUTPUTS_DIR/data-quality/index.html. Opens "
              "offline (no script, nothing fetched); GX's Data Docs stay for engineers. "
              "Code: outputs/scorecard.py")
def quality_scorecard_page(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    settings = settings.get()
    page = build_scorecard(settings.published_path, settings.outputs_dir / "data-quality",
                           settings.quality_dir / "data_docs" / "index.html")
    context.log.info(f"data-quality scorecard: {page}")
    return dg.MaterializeResult(metadata={"page": dg.MetadataValue.path(str(page))})


OUTPUT_ASSETS = [reports, public_site, partner_packs, quality_scorecard_page]
