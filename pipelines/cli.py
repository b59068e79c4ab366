"""Command line: `python -m pipelines.cli run [--sample]`, `generate-sample` and `returns` (return templates)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import dagster as dg

from sources.bundled import generate_sample
from sources.sample import last_full_month, parse_month
from warehouse.settings import Settings, SettingsResource, load_settings

log = logging.getLogger("pipelines.cli")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Their INFO lines (hundreds a run: GX's metrics, a line per font subset) would bury the summary; warnings show.
CHATTY_LIBRARIES = ("great_expectations", "alembic", "weasyprint", "fontTools")
# A line per file loaded: in the run's log file, not on the terminal (their warnings still show there).
DETAIL_LOGGERS = ("sources.reader",)


def _not_detail(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or not record.name.startswith(DETAIL_LOGGERS)


def log_to_file(settings: Settings) -> Path | None:
    """Append every log line of this command to `<data dir>/logs/run-<night>.log` and keep the detail lines
    (a line per file loaded) off the terminal, so the terminal ends with the summary. Returns the file, or None
    when it cannot be written (then the terminal keeps every line: nothing is lost, the night goes on)."""
    path = settings.logs_dir / f"run-{settings.as_of:%Y-%m-%d}.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the run's log file %s (%s): every line stays on the terminal", path, exc)
        return None
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler:
            handler.addFilter(_not_detail)
    root.addHandler(to_file)
    return path


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings (the BDC_* variables), with every path under --data-dir when it is given."""
    return load_settings(data_dir=args.data_dir)


def _end_month(text: str | None):
    text = text or os.environ.get("BDC_SAMPLE_END_MONTH")
    return parse_month(text) if text else last_full_month()


def cmd_generate_sample(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.contacts is not None:
        from sources.scaled_sample import generate_scaled_sample

        print(f"Writing a sample with about {args.contacts:,} contacts to {settings.landing_dir} "
              "(replaces what is there) ...", flush=True)
        done = generate_scaled_sample(settings.landing_dir, args.contacts, _end_month(args.end_month))
        print(f"Scaled sample: x{done['factor']} the bundled sample ({done['bundled_contacts']:,} contacts), "
              f"{sum(done['rows'].values()):,} record rows in {done['seconds']} s:")
        for source, rows in done["rows"].items():
            print(f"  {source:<24}{rows:>12,}")
        return 0
    files = generate_sample(settings.landing_dir, _end_month(args.end_month), force=args.force)
    print(f"Bundled sample: {len(files)} files written to {settings.landing_dir}" if files else
          f"Bundled sample already present in {settings.landing_dir} (use --force to regenerate)")
    return 0


def _print_log_file(path: Path | None) -> None:
    from pipelines.nightly import relative

    if path is not None:
        print(f"\nFull log (every file loaded): {relative(path)}")


def cmd_run(args: argparse.Namespace) -> int:
    from assets.common import code_fingerprint
    from pipelines.quiet import CODE_TAG, quiet_night, record_quiet_night

    started = time.monotonic()
    settings = _settings(args)
    log_file = log_to_file(settings)
    if args.sample:
        files = generate_sample(settings.landing_dir, _end_month(args.end_month))
        if files:
            print(f"Generated the bundled sample: {len(files)} landing files in {settings.landing_dir}")
    if os.environ.get("DAGSTER_HOME"):
        instance = dg.DagsterInstance.get()
    else:
        log.warning("DAGSTER_HOME is not set: this run will not appear in the Dagster UI (use `make run`)")
        instance = dg.DagsterInstance.ephemeral()
    fingerprint = code_fingerprint(settings)
    looked = None  # what the quiet check read of the landing folders and timeliness: the plan reuses it
    if not args.all:
        verdict = quiet_night(instance, settings, fingerprint)
        looked = verdict.looked
        if verdict.quiet:  # decided before the definitions are loaded: seconds, not a run
            try:
                errors, warnings = record_quiet_night(instance, settings, verdict, "pipelines.cli run")
            except Exception as exc:  # noqa: BLE001 - not recorded: the planned night below records it
                print(f"Quiet night, but recording it failed ({type(exc).__name__}: {exc}): running the plan")
            else:
                print(f"Quiet night recorded in {time.monotonic() - started:.1f} s: {verdict.reason}; the published "
                      f"copies (Dagster run {verdict.since_run}) stand for {settings.as_of}, and nothing was "
                      f"rebuilt. Checks still failing from earlier runs: {errors} ERROR, {warnings} WARN "
                      "(marts.quality_scorecard).")
                _print_log_file(log_file)
                return 0
        else:
            print(f"Not a quiet night: {verdict.reason}")

    from pipelines.definitions import build_definitions, tonight
    from pipelines.nightly import outputs_summary, run_nightly, summary

    defs = build_definitions(SettingsResource(data_dir=args.data_dir))
    # Planned from what the quiet check read; if it could not read (a run held the warehouse), after that run.
    plan = None if args.all else tonight(instance, settings, wait_seconds=600, looked=looked)
    if plan is not None:
        print(f"Tonight's plan: {plan.summary()}")
    outcome = run_nightly(defs, instance=instance, log_level=args.log_level, plan=plan,
                          tags={"bdc/trigger": "pipelines.cli run", CODE_TAG: fingerprint})
    # Read now, while no other run can hold the warehouse (a landing sensor's may start during the outputs);
    # printed last, after every log line, so the summaries are the end of what the terminal shows.
    night = summary(outcome, settings)
    outputs = None
    if outcome.success and not args.skip_outputs:
        outputs = run_nightly(defs, instance=instance, log_level=args.log_level, job_name="outputs")
    print()
    print(night)
    if outputs is not None:
        print()
        print(outputs_summary(outputs, settings))
    _print_log_file(log_file)
    return 0 if outcome.success and (outputs is None or outputs.success) else 1


def cmd_returns(args: argparse.Namespace) -> int:
    import duckdb

    from outputs.returns import latest_month, write_templates
    from warehouse.catalogue import catalogue

    settings = _settings(args)
    if not settings.published_path.exists():
        print(f"No published warehouse at {settings.published_path}: run the nightly job first", file=sys.stderr)
        return 1
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        month = parse_month(args.month) if args.month else latest_month(con, settings.as_of)
        if month is None:
            print("The published warehouse has no measure values yet", file=sys.stderr)
            return 1
        out = args.out or settings.outputs_dir / "returns" / f"{month:%Y-%m}"
        try:
            files = write_templates(con, catalogue(), month, Path(out), args.team or None, overwrite=args.force)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    for path in files:
        print(path)
    print(f"{len(files)} return template(s) for {month:%B %Y} written (existing ones kept; --force replaces them); "
          f"completed returns go in "
          f"{settings.landing_for('performance_returns')}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from outputs.publication import NotPublishedError
    from outputs.reports import build_reports, report_periods
    from warehouse.catalogue import CatalogueError

    settings = _settings(args)
    try:
        start = parse_month(args.period) if args.period else None
        periods = report_periods(settings.as_of, tuple(args.kind or ("cabinet", "scrutiny")), start)
        files = build_reports(settings.published_path, Path(args.out or settings.outputs_dir), periods,
                              pdf=not args.no_pdf)
    except (ValueError, NotPublishedError, CatalogueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    for path in files:
        print(path)
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    from outputs.publication import NotPublishedError
    from outputs.site import build_site

    settings = _settings(args)
    try:
        summary = build_site(settings.published_path, Path(args.out or settings.outputs_dir / "site"), settings.as_of)
    except NotPublishedError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{summary.pages} pages, {summary.files} files, {summary.bytes / 1e6:.1f} MB in {summary.folder}")
    return 0


def cmd_partner_packs(args: argparse.Namespace) -> int:
    from outputs.partner_packs import build_partner_packs, load_agreements
    from outputs.publication import NotPublishedError
    from warehouse.catalogue import CatalogueError

    settings = _settings(args)
    try:
        agreements = [a for a in load_agreements() if not args.partner or a.partner in args.partner]
        if args.partner and not agreements:
            print(f"No sharing agreement for {args.partner}", file=sys.stderr)
            return 2
        manifests = build_partner_packs(settings.published_path, Path(args.out or settings.outputs_dir),
                                        settings.as_of, agreements)
    except (NotPublishedError, CatalogueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    for path in manifests:
        print(path)
    return 0


def cmd_check_published(args: argparse.Namespace) -> int:
    """The daemon-independent watch (a systemd timer runs it): alert when nothing was published for the night."""
    from pipelines.alert_sensors import check_published

    status, message = check_published("the published-check timer", _settings(args))
    print(message, file=sys.stderr if status else sys.stdout)
    return status


def cmd_prune(args: argparse.Namespace) -> int:
    """Retention by hand: what the daily retention schedule deletes (pipelines/retention.py)."""
    from pipelines.retention import cutoff_for, prune_history

    settings = _settings(args)
    pruned = prune_history(dg.DagsterInstance.get(), settings.quality_dir, cutoff_for(settings, args.days),
                           settings.logs_dir)
    print(pruned.summary())
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Replay the council's nights with faults (pipelines/simulation/) and write the report."""
    import json

    from pipelines.simulation.calendar import FAULT_KINDS
    from pipelines.simulation.runner import simulate

    settings = _settings(args)
    out = Path(args.out) if args.out else settings.data_dir / "simulation"
    faults = tuple(args.fault) if args.fault else FAULT_KINDS
    unknown = sorted(set(faults) - set(FAULT_KINDS))
    if unknown:
        print(f"unknown fault kind(s) {unknown}; kinds are {list(FAULT_KINDS)}", file=sys.stderr)
        return 2
    print(f"Simulating {args.nights} nights from {args.start} (seed {args.seed}) in {out} ...", flush=True)
    report = simulate(out, parse_date(args.start), args.nights, args.seed, scale=args.scale, faults=faults,
                      rebuild=not args.no_rebuild, pdf=not args.no_pdf)
    brief = {k: report[k] for k in ("nights", "start", "seed", "alerts_expected", "alerts_fired",
                                    "equals_full_rebuild", "published_bytes_first", "published_bytes_last",
                                    "seconds")}
    print(json.dumps(brief, indent=2))
    print(f"Faults injected: {len(report['faults_injected'])}; invariant violations: "
          f"{len(report['invariant_violations'])}")
    for violation in report["invariant_violations"][:20]:
        print(f"  {violation['night']} {violation['invariant']}: {violation['detail'][:300]}")
    print(f"Report: {out / 'report.json'}")
    return 0 if not report["invariant_violations"] and report["equals_full_rebuild"] is not False else 1


def parse_date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise SystemExit(f"--start must be a date like 2026-01-01, not {text!r}") from exc


def cmd_lake_maintain(args: argparse.Namespace) -> int:
    """The lake's upkeep, for every council at once (a timer runs it: deploy/systemd/lake-maintain.timer)."""
    from warehouse.lake import keep_days_from_env, lake_from_env, maintain

    lake = lake_from_env()
    if lake is None:
        print("No lake configured (BDC_LAKE_CATALOG is not set): nothing to maintain.")
        return 1
    keep = args.keep_days if args.keep_days is not None else keep_days_from_env()
    done = maintain(lake, load_settings().as_of, keep)
    print(f"Lake maintained: small files merged, {done['snapshots_expired']} snapshots expired "
          f"({'every night kept' if keep is None else f'nights older than {keep} days'}), "
          f"{done['files_deleted']} files no snapshot needs deleted.")
    return 0


def cmd_run_lake(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from pipelines.lake_run import run_councils, summary
    from pipelines.local_postgres import local_postgres
    from warehouse.council import council_ids
    from warehouse.lake import Lake, lake_from_env

    settings = load_settings()
    root = Path(args.data_dir or settings.data_dir / "lake").resolve()
    councils = args.council or council_ids()
    with ExitStack() as stack:
        lake = lake_from_env()
        if lake is None:  # no lake configured: a local one, its catalog on a PostgreSQL started for the night
            server = stack.enter_context(local_postgres(root / "postgres"))
            lake = Lake(catalog=server.create_database("ducklake"), data_path=str(root / "lake-data"))
        print(f"Running {len(councils)} councils' nights at once into the lake ({', '.join(councils)}); "
              f"each council's folder is {root}/<council>/")
        cli_args = ["--sample"] if args.sample else []
        cli_args += ["--end-month", args.end_month] if args.end_month else []
        results, reader = run_councils(councils, root, lake, settings.as_of, cli_args)
        print(summary(results, reader, lake))
    return 0 if all(r.returncode == 0 for r in results) and not reader.errors else 1


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for chatty in CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="pipelines.cli", description=__doc__)
    parser.add_argument("--data-dir", help="folder for the landing files, warehouses and outputs (default: "
                                           "$BDC_DATA_DIR, else ./data); BDC_LANDING_DIR, BDC_WAREHOUSE_PATH and the "
                                           "other path variables then do not apply, except BDC_LANDING_<SOURCE>")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the nightly job now and print a summary")
    run.add_argument("--sample", action="store_true", help="generate the bundled sample first if it is missing")
    run.add_argument("--end-month", help="last month of the bundled sample, YYYY-MM (default: last full month)")
    run.add_argument("--log-level", default="INFO", help="Dagster console log level (default INFO)")
    run.add_argument("--all", action="store_true",
                     help="build every asset, not only what new files, changed code or an unfinished run reach")
    run.add_argument("--skip-outputs", action="store_true",
                     help="the nightly job only: no reports, site or partner packs afterwards (the benchmark)")
    run.set_defaults(func=cmd_run)
    lake = sub.add_parser("run-lake", help="run several councils' nights at once into one DuckLake (README \"Running "
                                           "several councils\"); starts a local PostgreSQL unless BDC_LAKE_CATALOG "
                                           "names one")
    lake.add_argument("--council", action="append", help="a council id (repeat; default every councils/*.yaml)")
    lake.add_argument("--sample", action="store_true", help="generate each council's bundled sample if missing")
    lake.add_argument("--end-month", help="last month of the bundled samples, YYYY-MM (default: last full month)")
    lake.set_defaults(func=cmd_run_lake)
    upkeep = sub.add_parser("lake-maintain", help="merge the lake's small files and expire snapshots older than "
                                                  "--keep-days (default BDC_LAKE_KEEP_DAYS; unset: keep every night)")
    upkeep.add_argument("--keep-days", type=int, help="expire snapshots older than this many days before the night")
    upkeep.set_defaults(func=cmd_lake_maintain)
    gen = sub.add_parser("generate-sample", help="write the bundled sample landing files")
    gen.add_argument("--end-month", help="last month, YYYY-MM (default: last full month)")
    gen.add_argument("--force", action="store_true", help="regenerate even if a sample is there")
    gen.add_argument("--contacts", type=int, metavar="N",
                     help="scale the sample to about N contact rows, other record-level sources in proportion "
                          "(e.g. 10_000_000 for the benchmark); always regenerates")
    gen.set_defaults(func=cmd_generate_sample)
    returns = sub.add_parser("returns", help="write teams' performance return templates from the published warehouse")
    returns.add_argument("--month", help="month reported on, YYYY-MM (default: the latest ended month with data)")
    returns.add_argument("--team", action="append", help="team id (repeatable; default: every team with measures)")
    returns.add_argument("--out", help="folder (default: $BDC_OUTPUTS_DIR/returns/<YYYY-MM>)")
    returns.add_argument("--force", action="store_true", help="replace templates already in the folder")
    returns.set_defaults(func=cmd_returns)
    report = sub.add_parser("report", help="build Cabinet / O&S reports and briefings from the published warehouse")
    report.add_argument("--kind", action="append", choices=("cabinet", "scrutiny"),
                        help="which report (repeatable; default both)")
    report.add_argument("--period", help="first month of the period, YYYY-MM (default: the latest ended period)")
    report.add_argument("--out", help="outputs folder (default: $BDC_OUTPUTS_DIR); reports go in <out>/reports/")
    report.add_argument("--no-pdf", action="store_true", help="HTML only (faster)")
    report.set_defaults(func=cmd_report)
    site = sub.add_parser("site", help="build the public web dashboard and its open data")
    site.add_argument("--out", help="site folder (default: $BDC_OUTPUTS_DIR/site)")
    site.set_defaults(func=cmd_site)
    packs = sub.add_parser("partner-packs", help="write today's partner data-sharing packs")
    packs.add_argument("--partner", action="append", help="partner id (repeatable; default every agreement)")
    packs.add_argument("--out", help="outputs folder (default: $BDC_OUTPUTS_DIR); packs go in <out>/partners/")
    packs.set_defaults(func=cmd_partner_packs)
    sim = sub.add_parser("simulate", help="replay nights of deliveries and faults, checking invariants every night")
    sim.add_argument("--start", default="2026-01-01", help="first night, YYYY-MM-DD (default 2026-01-01)")
    sim.add_argument("--nights", type=int, default=365, help="how many nights (default 365)")
    sim.add_argument("--seed", type=int, default=2016, help="the seed of the calendar and the faults")
    sim.add_argument("--scale", type=float, default=0.1,
                     help="share of the bundled sample's record volume each delivery carries (default 0.1)")
    sim.add_argument("--fault", action="append", help="inject only this fault kind (repeatable; default all)")
    sim.add_argument("--out", help="folder for the simulation (replaced; default $BDC_DATA_DIR/simulation)")
    sim.add_argument("--no-rebuild", action="store_true", help="skip the final comparison with a rebuild")
    sim.add_argument("--no-pdf", action="store_true", help="reports as HTML only (faster; BDC_REPORTS_PDF=false)")
    sim.set_defaults(func=cmd_simulate)
    prune = sub.add_parser("prune", help="delete Dagster run history and GX results older than the retention period")
    prune.add_argument("--days", type=int, help="keep this many days (default $BDC_RETENTION_DAYS, else 365)")
    prune.set_defaults(func=cmd_prune)
    check = sub.add_parser("check-published", help="alert if no load was published for tonight by the deadline hour "
                                                   "(run by a systemd timer; needs no Dagster daemon)")
    check.set_defaults(func=cmd_check_published)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
