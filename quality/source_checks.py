"""The six criteria applied to one staged source (run in its staging asset, after staging is written)."""

from __future__ import annotations

import datetime as dt
import statistics

import duckdb

from quality.lineage import downstream
from quality.outcome import Outcome, sample_rows, verdict
from sources.contract import SourceContract
from sources.deliveries import DELIVERIES
from sources.reader import delivery_month
from sources.rules import FAILURE_SAMPLE, staged_in_run, validate_staged
from warehouse.council import load_council


def judge_source(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str) -> list[Outcome]:
    """The criteria judged on a delivery, in order: relevant, well_defined, reliable, verifiable, accurate.
    Timeliness depends on the night, not the delivery: it is judged every night for every source with a
    monthly cadence (assets/timeliness.py)."""
    return [relevant(contract), well_defined(con, contract, run_id), reliable(con, contract),
            verifiable(con, contract, run_id), accurate(con, contract)]


def _verdict(contract: SourceContract, criterion: str, **kwargs: object) -> Outcome:
    return verdict("source", contract.name, criterion, contract.owner.email, title=contract.title, **kwargs)


def relevant(contract: SourceContract) -> Outcome:
    """The source feeds at least one measure or mart (no orphan source tables)."""
    uses = downstream(f"staging.{contract.name}")
    measures = sorted(t.split(".", 1)[1] for t in uses if t.startswith("measures."))
    marts = sorted(t for t in uses if t.startswith(("marts.", "outputs.")))
    warnings = [] if marts else [f"Nothing reads staging.{contract.name}: no measure, mart or output uses "
                                 f"{contract.title}."]
    return _verdict(contract, "relevant", errors=[], warnings=warnings,
                    ok=f"Feeds {len(measures)} measure(s) and {len(marts)} mart(s) or output(s).",
                    details={"measures": measures, "marts": marts})


def well_defined(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str | None = None) -> Outcome:
    """The staged table matches its pandera schema (types, blanks, code lists, ranges, unique key); files
    loaded in this run with unexpected columns or no rows, and rows holding formulas, are doubts."""
    report = validate_staged(con, contract, run_id)
    # The reason goes to the scorecard, alerts and the BI copy: it counts the failing values and says where to look,
    # but never quotes them (a staged value may be a UPRN or a pseudonymised key).
    errors = [f"Column {f['column']} is missing from staging.{contract.name}." if f["check"] == "column_in_dataframe"
              else f"Column {f['column'] or '(table)'} fails {f['check']}: {_at_least(f['failing'])} value(s); query "
                   f"staging.{contract.name} for them." for f in report.failures]
    notes = con.execute("""SELECT file_name, notes FROM audit.loaded_files
                           WHERE source = ? AND notes IS NOT NULL AND run_id IS NOT DISTINCT FROM ?
                           ORDER BY loaded_at DESC LIMIT 5""", [contract.name, run_id]).fetchall()
    formulas = con.execute("""SELECT count(*) FROM audit.quarantine WHERE source = ?
                              AND failed_checks LIKE '%not_a_formula%'""", [contract.name]).fetchone()[0]
    warnings = [f"{name}: {note}." for name, note in notes]
    if formulas:
        warnings.append(f"{formulas} row(s) held a spreadsheet formula in a text field and were quarantined.")
    return _verdict(contract, "well_defined", errors=errors, warnings=warnings,
                    ok=f"staging.{contract.name} matches its contract ({len(contract.staged)} columns).",
                    rows_failed=formulas, sample=report.failures[:5])


def _at_least(count: int) -> str:
    """pandera reports up to FAILURE_SAMPLE failing values per check: '3', or '5 or more'."""
    return f"{count} or more" if count >= FAILURE_SAMPLE else str(count)


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def timely(con: duckdb.DuckDBPyConnection, contract: SourceContract, as_of: dt.date) -> Outcome:
    """Monthly files arrive by their due day (warn after it, fail after the grace period), with no month
    missing between the first and the latest delivery."""
    names = [r[0] for r in con.execute(f"SELECT file_name FROM {DELIVERIES} WHERE source = ?",
                                       [contract.name]).fetchall()]  # an empty month's header-only file counts
    months = sorted({m for m in map(delivery_month, names) if m})
    due_day, grace = contract.cadence.due_day or 1, contract.grace_days
    if not months:
        return _verdict(contract, "timely", errors=[f"No {contract.title} file has been received yet."],
                        warnings=[], ok="")
    errors, warnings = [], []
    expected = months[0]
    gaps = []
    while expected < months[-1]:
        if expected not in months:
            gaps.append(f"{expected:%B %Y}")
        expected = _next_month(expected)
    if gaps:
        warnings.append(f"Missing month(s) between deliveries: {', '.join(gaps)}.")
    overdue = _next_month(months[-1])
    due = _next_month(overdue).replace(day=min(due_day, 28))
    if as_of > due:
        late = (as_of - due).days
        provider = load_council().named(contract.provider)
        message = f"The {overdue:%B %Y} file from {provider} was due on {due:%d %B %Y} and is {late} day(s) late."
        (errors if late > grace else warnings).append(message)
    return _verdict(contract, "timely", errors=errors, warnings=warnings, period=months[-1],
                    ok=f"Latest file is for {months[-1]:%B %Y}; the next is due {due:%d %B %Y}.")


def reliable(con: duckdb.DuckDBPyConnection, contract: SourceContract) -> Outcome:
    """The latest delivery's size is in line with the usual, and no key was delivered twice."""
    limits = contract.thresholds
    sizes = con.execute("""SELECT l.file_name, l.rows_loaded FROM audit.loaded_files l
                           WHERE l.source = ? ORDER BY l.file_name""", [contract.name]).fetchall()
    warnings = []
    period = None
    if len(sizes) > 3 and contract.cadence.frequency == "monthly":
        latest_name, latest = sizes[-1]
        usual = statistics.median(n for _, n in sizes[-1 - limits.history_deliveries:-1])
        period = delivery_month(latest_name)
        tolerance = contract.volume_tolerance  # the council's own, else the contract's
        if usual >= limits.min_volume and abs(latest - usual) > tolerance * usual:
            warnings.append(f"{latest_name} has {latest} rows; the usual delivery has about {usual:.0f} "
                            f"(more than {tolerance:.0%} different).")
    duplicates = con.execute("""SELECT count(*) FROM audit.quarantine WHERE source = ?
                                AND failed_checks LIKE '%unique_key%'""", [contract.name]).fetchone()[0]
    sample = []
    if duplicates:
        warnings.append(f"{duplicates} row(s) repeated a key already delivered and were quarantined.")
        sample = sample_rows(con, """SELECT source_file, row_number, reason FROM audit.quarantine
                                     WHERE source = ? AND failed_checks LIKE '%unique_key%'""", [contract.name])
    return _verdict(contract, "reliable", errors=[], warnings=warnings, rows_failed=duplicates, sample=sample,
                    period=period, ok=f"{len(sizes)} deliveries; volumes in line and keys unique.")


def verifiable(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str | None = None) -> Outcome:
    """Every raw row is accounted for (raw = staged + quarantined + out of scope, per file) and every staged
    row traces back to its raw row by file hash and row number (with `run_id`: every row staged in that run;
    rows staged on earlier nights were traced then, and staging never changes them)."""
    files = staged_in_run(contract.name, run_id)
    unbalanced = sample_rows(con, """SELECT source_file, raw_rows, staged_rows, quarantined, out_of_scope
                                     FROM audit.row_conservation WHERE source = ? AND NOT balanced""",
                             [contract.name], limit=100)
    untraced = con.execute(f"""SELECT count(*) FROM (SELECT * FROM staging.{contract.name} WHERE {files}) s
                               ANTI JOIN (SELECT _file_sha256, _row_number FROM raw.{contract.name} WHERE {files}) r
                               USING (_file_sha256, _row_number)""").fetchone()[0]
    errors = [f"{len(unbalanced)} file(s) lost or gained rows between raw and staging."] if unbalanced else []
    if untraced:
        errors.append(f"{untraced} staged row(s) do not trace back to a raw row.")
    return _verdict(contract, "verifiable", errors=errors, warnings=[], rows_failed=untraced + len(unbalanced),
                    sample=unbalanced[:5], ok="Every delivered row is accounted for and traceable to its file.")


def accurate(con: duckdb.DuckDBPyConnection, contract: SourceContract) -> Outcome:
    """Rows failing a rule were quarantined: any at all is a doubt; a file where more than the allowed share
    failed is an error (something is wrong with the whole export, not a few keying slips)."""
    limit, smallest = contract.thresholds.max_quarantine_share, contract.thresholds.min_rows_for_share
    per_file = con.execute("""SELECT source_file, raw_rows, quarantined FROM audit.row_conservation
                              WHERE source = ? AND quarantined > 0 ORDER BY source_file""",
                           [contract.name]).fetchall()
    total = sum(q for _, _, q in per_file)
    errors = [f"{f.rsplit('/', 1)[-1]}: {q} of {n} rows failed ({q / n:.0%}, more than {limit:.0%})."
              for f, n, q in per_file if n >= smallest and q / n > limit]
    warnings = [f"{total} row(s) in {len(per_file)} file(s) were quarantined."] if total and not errors else []
    sample = sample_rows(con, """SELECT source_file, row_number, reason, failed_checks FROM audit.quarantine
                                 WHERE source = ? ORDER BY source_file, row_number""", [contract.name])
    return _verdict(contract, "accurate", errors=errors, warnings=warnings, rows_failed=total, sample=sample,
                    ok="No rows were quarantined.")
