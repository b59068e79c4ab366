"""Great Expectations suites for the marts, run on small frames cut from DuckDB, with Data Docs.

Two suites over every measure's rows (a `measure_id` column tells them apart): `measure_values` on
`marts.measure_values` (value range by unit, the key, area types, the full area grid per period) and
`measure_series` on each measure's council-wide series (no missing period, volume in line with history, ward
and locality sums reconciling to the district total where the measure is additive); then one suite per
dashboard mart, and one reconciling the Census totals behind the demographics mart. A rule every measure shares
is one expectation over all rows; a rule whose bounds differ by measure is one expectation per distinct bound,
on the rows of the measures it applies to (a GX row condition). GX's cost is per expectation (~20 ms each,
almost all of it GX's own planning), so this is ~40 expectations where a suite per measure made ~240.
Each expectation's `meta` names the criterion it serves and whether breaking it is an error ("fail") or a
doubt ("warn"); a failure is reported against the measure(s) whose rows broke it. GX is imported here only
(it costs seconds and ~240 MB), and the module is imported only inside the check that runs it.

Each measure's part of a suite is fingerprinted (its rows, its expectations, this module): on an incremental
night only the measures whose fingerprint changed are validated, and the others' last verdicts stand, named
with the run that found them. Results go to the GX file project under `<quality_dir>/gx` (the last KEEP_RUNS
runs of each suite) and the Data Docs site is rebuilt into `<quality_dir>/data_docs`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.expectations.row_conditions import Column

from quality.completeness import delivered_periods
from quality.outcome import Outcome, verdict
from warehouse import clock
from warehouse.catalogue import FREQUENCIES, Measure

DOCS_SITE = "policy_team"
FRAMES = "mart_frames"  # GX's datasource of the frames the suites validate
LEGACY_SOURCE = "marts"  # the datasource of earlier versions (a data-frame asset per suite)
VALIDATED = "validated_suites.json"  # per suite part (a measure's, or a whole suite): its last fingerprint, failures
CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
KEEP_RUNS = 7  # validation results kept per suite (a week of nights), each with its Data Docs page
log = logging.getLogger(__name__)


@dataclass
class Failure:
    mart: str
    measure_id: str | None
    criterion: str
    severity: str  # fail or warn
    expectation: str
    column: str
    unexpected: int
    examples: list
    since_run: str | None = None  # set when the suite was not re-run: the run whose validation found it

    def detail_text(self) -> str:
        examples = f", e.g. {'; '.join(self.examples[:3])}" if self.examples else ""
        since = f" (unchanged since run {self.since_run[:8]}: data and expectations the same)" if self.since_run \
            else ""
        return (f"{self.mart}: {self.expectation} ({self.column}) fails for {self.unexpected} row(s){examples}"
                f"{since}.")


@dataclass
class MartReport:
    docs_index: Path
    expectations: int = 0  # the rules checked, a rule counting once per measure it applies to
    failures: list[Failure] = field(default_factory=list)
    validated: int = 0  # suite parts validated by GX in this call (a measure's part of a suite, or a whole suite)
    unchanged: int = 0  # suite parts whose data and expectations were as when last validated: not re-run
    unchanged_since: dict[str, str] = field(default_factory=dict)  # such a part -> the run that validated it


def _meta(criterion: str, severity: str = "fail", **extra: str) -> dict:
    return {"criterion": criterion, "severity": severity, **extra}


ADDITIVE = ("sum", "per_population")  # aggregations whose counts are zero-filled and add up across areas
VALUES_KEY = ["measure_id", "period_start", "area_type", "area_code"]
SERIES_KEY = ["measure_id", "period_start"]


def _grouped(measures: Iterable[Measure], bound: Callable[[Measure], object]) -> Iterator[tuple[object, dict]]:
    """(bound, row condition) for each distinct `bound(measure)` of the `measures` a rule applies to (a bound may
    be None: no limit on that side), with the row condition selecting the rows of the measures that share it."""
    groups: dict[object, list[str]] = {}
    for measure in measures:
        groups.setdefault(bound(measure), []).append(measure.id)
    for value, ids in groups.items():
        yield value, {"row_condition": Column("measure_id").is_in(sorted(ids))}


def measure_value_expectations(measures: list[Measure], expected_areas: dict[str, int]) -> Iterator:
    """Expectations on the measures' rows of marts.measure_values (one frame, `measure_id` a column)."""
    yield gxe.ExpectColumnValuesToNotBeNull(column="period_start", meta=_meta("well_defined"))
    yield gxe.ExpectColumnValuesToNotBeNull(column="area_code", meta=_meta("well_defined"))
    yield gxe.ExpectColumnPairValuesToBeInSet(
        column_A="measure_id", column_B="area_type",
        value_pairs_set=[(m.id, b) for m in measures for b in m.breakdowns],
        meta=_meta("well_defined", detail="each measure's area types are those its catalogue entry breaks down by"))
    yield gxe.ExpectCompoundColumnsToBeUnique(column_list=VALUES_KEY, meta=_meta("reliable"))
    for (low, high, unit), rows in _grouped(measures, lambda m: (m.quality.min_value, m.quality.max_value, m.unit)):
        yield gxe.ExpectColumnValuesToBeBetween(column="value", min_value=low, max_value=high, **rows,
                                                meta=_meta("accurate", unit=unit))
    for area_type, count in expected_areas.items():  # counts are zero-filled: every area, every period
        counted = [m for m in measures if area_type in m.breakdowns and m.aggregation in ADDITIVE]
        for _, rows in _grouped(counted, lambda m: 1):
            yield gxe.ExpectColumnValuesToBeBetween(
                column=f"areas_{area_type}", min_value=count, max_value=count, **rows,
                meta=_meta("well_defined", detail=f"every period has all {count} {area_type} areas"))


def series_expectations(measures: list[Measure]) -> Iterator:
    """Expectations on the measures' council-wide series (one row per measure and period)."""
    for _, rows in _grouped([m for m in measures if not m.quality.allow_gaps], lambda m: 1):
        yield gxe.ExpectColumnValuesToBeBetween(column="periods_since_previous", min_value=1, max_value=1, **rows,
                                                meta=_meta("timely", "warn", detail="no period missing"))
    for tolerance, rows in _grouped(measures, lambda m: m.quality.volume_tolerance):
        yield gxe.ExpectColumnValuesToBeBetween(
            column="volume_ratio", min_value=1 - tolerance, max_value=1 + tolerance, **rows,
            meta=_meta("reliable", "warn", detail="records per period in line with the previous periods' median"))
    by_ward = [m for m in measures if m.aggregation in ADDITIVE and "ward" in m.breakdowns]
    for _, rows in _grouped(by_ward, lambda m: 1):
        yield gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="district_numerator", column_B="ward_numerator", or_equal=True, **rows,
            meta=_meta("accurate", detail="ward counts never add up to more than the district total"))
    for share, rows in _grouped(by_ward, lambda m: m.quality.unallocated_share):
        yield gxe.ExpectColumnValuesToBeBetween(
            column="unplaced_share", min_value=0, max_value=share, **rows,
            meta=_meta("accurate", "warn", detail="most of the district total is placed in a ward"))
    for _, rows in _grouped([m for m in by_ward if "locality" in m.breakdowns], lambda m: 1):
        yield gxe.ExpectColumnPairValuesToBeEqual(
            column_A="ward_numerator", column_B="locality_numerator", **rows,
            meta=_meta("accurate", detail="locality counts add up to the same as their wards"))


def dashboard_expectations(mart: str) -> Iterator:
    keys = {"dashboard_strategic": ["measure_id", "period_start"],
            "dashboard_operational": ["measure_id", "area_type", "area_code", "period_start"],
            "dashboard_demographics": ["area_type", "area_code", "indicator"]}[mart]
    yield gxe.ExpectCompoundColumnsToBeUnique(column_list=keys, meta=_meta("reliable"))
    for column in keys:
        yield gxe.ExpectColumnValuesToNotBeNull(column=column, meta=_meta("well_defined"))
    if mart == "dashboard_demographics":
        yield gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0, meta=_meta("accurate"))
        yield gxe.ExpectColumnValuesToBeBetween(column="percent_value", min_value=0, max_value=100,
                                                meta=_meta("accurate", detail="percentages are 0 to 100"))
    else:
        yield gxe.ExpectColumnValuesToNotBeNull(column="owner_name", meta=_meta("well_defined"))


def census_expectations() -> Iterator:
    """Census 2021 residents: LSOAs and wards both partition the district, so their totals must agree."""
    yield gxe.ExpectColumnPairValuesToBeEqual(
        column_A="lsoa_residents", column_B="ward_residents",
        meta=_meta("accurate", detail="census totals match: LSOA residents add up to the ward residents"))
    yield gxe.ExpectColumnPairValuesToBeEqual(
        column_A="ward_residents", column_B="district_residents",
        meta=_meta("accurate", detail="census totals match: ward residents add up to the district's"))


def _census_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""SELECT 'census 2021' AS census,
                                 sum(usual_residents) FILTER (WHERE area_type = 'lsoa') AS lsoa_residents,
                                 sum(usual_residents) FILTER (WHERE area_type = 'ward') AS ward_residents,
                                 sum(usual_residents) FILTER (WHERE area_type = 'district') AS district_residents
                          FROM core.population""").df()


def _measure_frames(con: duckdb.DuckDBPyConnection, measure: Measure) -> tuple[pd.DataFrame, pd.DataFrame]:
    areas = ", ".join(f"count(*) FILTER (WHERE area_type = '{b}') OVER (PARTITION BY period_start) AS areas_{b}"
                      for b in measure.breakdowns)
    values = con.execute(f"""SELECT measure_id, period_start, area_type, area_code, value, {areas}
                             FROM marts.measure_values WHERE measure_id = ?""", [measure.id]).df()
    unit = FREQUENCIES[measure.frequency]
    history, min_volume = measure.quality.history_periods, measure.quality.min_volume
    series = con.execute(f"""
        WITH by_area AS (
            SELECT measure_id, period_start, max(period_end) AS period_end,
                   max(numerator) FILTER (WHERE area_type = 'district') AS district_numerator,
                   max(observations) FILTER (WHERE area_type = 'district') AS observations,
                   coalesce(sum(numerator) FILTER (WHERE area_type = 'ward'), 0) AS ward_numerator,
                   coalesce(sum(numerator) FILTER (WHERE area_type = 'locality'), 0) AS locality_numerator
            FROM marts.measure_values WHERE measure_id = ? GROUP BY measure_id, period_start)
        SELECT *,
               datediff('{unit}', lag(period_start) OVER (ORDER BY period_start), period_start)
                   AS periods_since_previous,
               CASE WHEN count(*) OVER history >= 3 AND median(observations) OVER history >= {min_volume}
                    THEN observations / nullif(median(observations) OVER history, 0) END AS volume_ratio,
               CASE WHEN district_numerator > 0 THEN 1 - ward_numerator / district_numerator END AS unplaced_share
        FROM by_area
        WINDOW history AS (ORDER BY period_start ROWS BETWEEN {history} PRECEDING AND 1 PRECEDING)
        ORDER BY period_start""", [measure.id]).df()
    # A month not yet delivered by every source rests on few records by nature: its volume is not judged.
    delivered = delivered_periods(con, measure.id, [end.date() for end in pd.to_datetime(series["period_end"])])
    series.loc[[not whole for whole in delivered], "volume_ratio"] = None
    return values, series


def _dashboard_frame(con: duckdb.DuckDBPyConnection, mart: str) -> pd.DataFrame:
    if mart == "dashboard_demographics":
        return con.execute("""SELECT *, CASE WHEN unit = 'percent' THEN value END AS percent_value
                              FROM marts.dashboard_demographics""").df()
    return con.execute(f"SELECT * FROM marts.{mart}").df()


def _context(quality_dir: Path):
    context = gx.get_context(mode="file", project_root_dir=str(quality_dir))
    context.variables.progress_bars = {"globally": False}
    docs = quality_dir / "data_docs"
    site = {"class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}
    declared = (context.get_config().data_docs_sites or {}).get(DOCS_SITE)
    if declared is None:
        context.add_data_docs_site(DOCS_SITE, site)
    elif declared.get("store_backend", {}).get("base_directory") != str(docs):  # a data folder moved or restored
        context.update_data_docs_site(DOCS_SITE, site)  # elsewhere: its Data Docs go with it, not to the old place
    return context, docs


def _frames_source(context):
    """GX's datasource of the frames the suites validate: one asset per kind of frame (measure_values,
    measure_series, a dashboard mart, census_totals), each a whole data frame handed over at run time. Each
    datasource, asset or batch definition GX adds rewrites the project's YAML, a save that grows with the
    project: an asset a kind of frame (not a suite) keeps that cost small and flat."""
    if LEGACY_SOURCE in context.data_sources.all():  # projects made before: an asset per suite, never used now
        # Their validation definitions name that datasource, and GX cannot even read one once it is gone (to
        # update it): they go with it; each suite's is saved again, on the new asset, when the suite next runs.
        store = context.validation_definition_store
        for key in store.list_keys():
            store.remove_key(key)
        context.data_sources.delete(LEGACY_SOURCE)
    return context.data_sources.add_or_update_pandas(FRAMES)


def _frame_batch(source, kind: str):
    asset = next((a for a in source.assets if a.name == kind), None) or source.add_dataframe_asset(kind)
    return next((b for b in asset.batch_definitions if b.name == "whole"), None) or \
        asset.add_batch_definition_whole_dataframe("whole")


def _validate(context, batch, name: str, frame: pd.DataFrame, expectations: Iterator, key: list[str], run_id):
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=list(expectations)))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite))
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": key,
                     "partial_unexpected_count": 5}
    return definition.run(batch_parameters={"dataframe": frame}, result_format=result_format, run_id=run_id)


def fingerprint(name: str, frame: pd.DataFrame, expectations: list) -> str:
    """What a suite's result depends on: its expectations, this module's code and the frame's contents."""
    digest = hashlib.sha256(f"{name}\n{CODE_VERSION}\n".encode())
    digest.update(json.dumps([e.configuration.to_json_dict() for e in expectations], sort_keys=True,
                             default=str).encode())
    digest.update(json.dumps([f"{c}:{t}" for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
    return digest.hexdigest()


class SuiteRunner:
    """Runs suites through GX, or, when a suite's fingerprint is the one it last passed or failed with, reuses
    that result (the data and the expectations are the same, so GX would say the same): an incremental night
    validates what changed. Results of suites that ran are stored under one GX run time, so Data Docs renders
    only those pages."""

    def __init__(self, context, quality_dir: Path, report: MartReport, run_id: str) -> None:
        from great_expectations.core.run_identifier import RunIdentifier

        self.context, self.report, self.dagster_run = context, report, run_id
        self.path = quality_dir / "gx" / VALIDATED
        self.known: dict[str, dict] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.run_id = RunIdentifier(run_time=clock.timestamp_utc())
        self.source = None  # GX's datasource of the frames and, per kind of frame, its batch definition: looked
        self.batches: dict[str, object] = {}  # up when first needed (a night with nothing changed needs none)
        self.ran = 0  # GX validation runs in this call

    def run(self, name: str, frame: pd.DataFrame, expectations: list, mart: str, key: list[str]) -> None:
        """Validate one whole suite (a dashboard mart, the census totals), unless unchanged since last time."""
        self.report.expectations += len(expectations)
        current = fingerprint(name, frame, expectations)
        if self._still_stands(name, current):
            return
        result = self._validate(name, frame, expectations, key)
        self._remember(name, current, list(_failures(result, mart, key, set(frame.columns))))

    def run_measures(self, suite: str, frames: dict[str, pd.DataFrame], measures: list[Measure],
                     expectations: Callable[[list[Measure]], list], mart: str, key: list[str]) -> None:
        """Validate the measures' parts of one suite over all their rows (`frames`: measure id -> its rows):
        each measure's part is fingerprinted by its rows and its own expectations; those unchanged since last
        validated keep their verdict, and the rest are validated together, in one GX run of the suite."""
        changed, fingerprints = [], {}
        for measure in measures:
            mine = expectations([measure])
            self.report.expectations += len(mine)
            fingerprints[measure.id] = fingerprint(f"{suite}.{measure.id}", frames[measure.id], mine)
            if not self._still_stands(f"{suite}.{measure.id}", fingerprints[measure.id]):
                changed.append(measure)
        if not changed:
            return
        frame = pd.concat([frames[m.id] for m in changed], ignore_index=True)
        result = self._validate(suite, frame, expectations(changed), key)
        failures = list(_failures(result, mart, key, set(frame.columns), by_measure=True))
        unplaced = [f for f in failures if f.measure_id not in fingerprints]  # no row to name a measure by
        self.report.failures += unplaced  # (reported against the mart)
        for measure in changed:
            mine = [f for f in failures if f.measure_id == measure.id]
            if unplaced:  # GX could not say whose rows broke it (an expectation raised): nothing is remembered,
                self.report.validated += 1  # so the next night validates these measures again, not "unchanged"
                self.report.failures += mine
            else:
                self._remember(f"{suite}.{measure.id}", fingerprints[measure.id], mine)

    def _still_stands(self, part: str, current: str) -> bool:
        """Whether `part` was last validated with the fingerprint `current`: then GX would say the same, and its
        verdict (failures too) is carried, named with the run that found it."""
        known = self.known.get(part)
        if not known or known["fingerprint"] != current:
            return False
        since = known.get("run") or "unknown"
        self.report.unchanged += 1
        self.report.unchanged_since[part] = since
        self.report.failures += [Failure(**{**f, "since_run": since}) for f in known["failures"]]
        return True

    def _validate(self, name: str, frame: pd.DataFrame, expectations: list, key: list[str]):
        kind = name.split(".")[0]
        if kind not in self.batches:
            self.source = self.source or _frames_source(self.context)
            self.batches[kind] = _frame_batch(self.source, kind)
        self.ran += 1
        return _validate(self.context, self.batches[kind], name, frame, iter(expectations), key, self.run_id)

    def _remember(self, part: str, current: str, failures: list[Failure]) -> None:
        self.report.validated += 1
        self.report.failures += failures
        run_name, run_time = self.run_id.to_tuple()  # where GX stored tonight's result of the part's suite
        self.known[part] = {"fingerprint": current, "run": self.dagster_run,
                            "failures": [dataclasses.asdict(f) for f in failures],
                            "result": f"{part.split('.')[0]}/{run_name}/{run_time}"}

    def finish(self) -> None:
        """Save the fingerprints and render the Data Docs pages of the suites that ran (and the index)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.known, default=str))
        partial.replace(self.path)
        if not self.ran:
            return
        store = self.context.validation_results_store
        fresh = [k for k in store.list_keys() if k.run_id.run_time == self.run_id.run_time]
        self.context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=fresh)


def _failures(result, mart: str, key: list[str], columns: set[str], by_measure: bool = False) -> Iterator[Failure]:
    """A Failure per failed expectation of a GX result, against the mart; with `by_measure` (a measure suite,
    `measure_id` in `key`), one per measure whose rows broke it (its count and examples are its own rows), or
    one against the mart when GX named no row (an expectation that raised, say). An expectation naming a column
    the frame (`columns`) lacks fails whatever GX said: GX 1.x may pass it without checking anything."""
    for item in result.results:
        config = item.expectation_config
        column = str(config.kwargs.get("column") or config.kwargs.get("column_list")
                     or f"{config.kwargs.get('column_A')} / {config.kwargs.get('column_B')}")
        if absent := sorted(set(_named_columns(config.kwargs)) - columns):
            yield Failure(mart, None, "well_defined", "fail", f"{', '.join(absent)} not in the mart: nothing was "
                          "checked (a column renamed, or the expectation is wrong)", column, 0, [])
            continue
        if item.success:
            continue
        meta = config.meta or {}
        detail = item.result or {}
        rows = detail.get("unexpected_index_list") or []
        if by_measure and rows and all(isinstance(r, dict) and "measure_id" in r for r in rows):
            groups: dict[str, list[dict]] = {}
            for row in rows:
                groups.setdefault(row["measure_id"], []).append(row)
            named = [(m, len(mine), mine[:5]) for m, mine in groups.items()]
        else:
            examples = (rows or detail.get("partial_unexpected_list") or [])[:5]
            named = [(None, int(detail.get("unexpected_count") or 0), examples)]
        bare_key = [k for k in key if k != "measure_id"]
        for measure, count, examples in named:
            plain = [{k: v for k, v in e.items() if k != "measure_id"} if isinstance(e, dict) else e
                     for e in examples]
            yield Failure(mart, measure, meta.get("criterion", "accurate"), meta.get("severity", "fail"),
                          meta.get("detail") or config.type.replace("_", " "), column, count,
                          [_example(e, bare_key) for e in plain])


def _named_columns(kwargs: dict) -> list[str]:
    """The columns an expectation's arguments name (column, column_list, column_A and column_B)."""
    return [c for c in (kwargs.get("column"), *(kwargs.get("column_list") or ()), kwargs.get("column_A"),
                        kwargs.get("column_B")) if c]


def _example(item: object, key: list[str]) -> str:
    """'2026-11-01: volume_ratio 0.0889' from GX's {column: value} dicts of numpy/pandas values, key first."""
    if not isinstance(item, dict):
        return str(item)
    def plain(v: object) -> str:
        if v is None or v is pd.NaT or (isinstance(v, float) and v != v):  # a blank (NaT, NaN) may be what failed
            return "blank"
        if hasattr(v, "strftime"):
            return v.strftime("%Y-%m-%d")
        return f"{float(v):.4g}" if isinstance(v, float) or type(v).__name__.startswith("float") else str(v)
    keys = [k for k in key if k in item]
    rest = [k for k in item if k not in keys]
    named = " ".join(plain(item[k]) for k in keys)
    return f"{named}: " + ", ".join(f"{k} {plain(item[k])}" for k in rest) if rest else named


DASHBOARDS = ("dashboard_strategic", "dashboard_operational", "dashboard_demographics")


def validate_marts(con: duckdb.DuckDBPyConnection, measures: list[Measure], quality_dir: Path,
                   dashboards: tuple[str, ...] = DASHBOARDS, run_id: str = "unknown") -> MartReport:
    """Run the suites of `measures` (on marts.measure_values) and of the named dashboard marts (the census
    totals go with dashboard_demographics); store the results and rebuild the Data Docs site. `run_id` (the
    Dagster run) is remembered with each suite's result, and named when a later run reuses it."""
    context, docs = _context(quality_dir)
    report = MartReport(docs_index=docs / "index.html")
    runner = SuiteRunner(context, quality_dir, report, run_id)
    expected = dict(con.execute("""SELECT area_type, count(*) FROM core.dim_area GROUP BY 1
                                   UNION ALL SELECT 'team', count(*) FROM core.dim_team""").fetchall())
    values, series = {}, {}
    for measure in measures:
        values[measure.id], series[measure.id] = _measure_frames(con, measure)
    areas = {b: expected.get(b, 0) for m in measures for b in m.breakdowns if b != "team"}
    if measures:
        runner.run_measures("measure_values", values, measures,
                            lambda chosen: list(measure_value_expectations(chosen, areas)),
                            "marts.measure_values", VALUES_KEY)
        runner.run_measures("measure_series", series, measures, lambda chosen: list(series_expectations(chosen)),
                            "marts.measure_values", SERIES_KEY)
    for mart in dashboards:
        expectations = list(dashboard_expectations(mart))
        keys = [e.column_list for e in expectations if isinstance(e, gxe.ExpectCompoundColumnsToBeUnique)][0]
        runner.run(mart, _dashboard_frame(con, mart), expectations, f"marts.{mart}", list(keys))
    if "dashboard_demographics" in dashboards:  # the demographics mart's populations: census totals reconcile
        runner.run("census_totals", _census_frame(con), list(census_expectations()),
                   "marts.dashboard_demographics", ["census"])
    standing = {v["result"] for v in runner.known.values() if v.get("result")}  # each verdict's own evidence
    _prune_results(quality_dir / "gx" / "uncommitted" / "validations", docs / "validations", pinned=standing)
    runner.finish()
    log.info("GX: %d expectations, %d failed; %d suite(s) validated, %d unchanged since last validated; "
             "Data Docs at %s", report.expectations, len(report.failures), report.validated, report.unchanged,
             report.docs_index)
    return report


def _prune_results(results: Path, docs_pages: Path, keep: int = KEEP_RUNS,
                   pinned: frozenset[str] | set[str] = frozenset()) -> None:
    """Keep the newest `keep` stored results of each suite (GX stores one folder per run, named by UTC time,
    under <suite>/__none__/) and those `pinned` (folders relative to `results`: the result a measure's standing
    verdict came from, however many newer runs of the shared suite there were), and remove the rendered pages
    of those dropped; the pages of the kept results stay (only new results are rendered each night)."""
    for runs in results.rglob("__none__"):
        for old in sorted(p for p in runs.iterdir() if p.is_dir())[:-keep]:
            if old.relative_to(results).as_posix() in pinned:
                continue
            shutil.rmtree(old)
            shutil.rmtree(docs_pages / old.relative_to(results), ignore_errors=True)


def outcomes(report: MartReport, mart: str, criterion: str, owners: dict[str, str], policy: str) -> list[Outcome]:
    """One Outcome per measure (or one for a dashboard mart) for `criterion` from the GX failures."""
    failures = [f for f in report.failures if f.mart == mart and f.criterion == criterion]
    subjects = {f.measure_id for f in failures} | (set(owners) if mart == "marts.measure_values" else {None})
    out = []
    for subject in sorted(subjects, key=str):
        mine = [f for f in failures if f.measure_id == subject]
        text = [f.detail_text() for f in mine]
        out.append(verdict(
            "measure" if subject else "mart", subject or mart, criterion, owners.get(subject, policy),
            errors=[t for f, t in zip(mine, text, strict=True) if f.severity == "fail"],
            warnings=[t for f, t in zip(mine, text, strict=True) if f.severity == "warn"],
            ok="All Great Expectations passed.", rows_failed=sum(f.unexpected for f in mine),
            sample=[{"expectation": f.expectation, "column": f.column, "examples": f.examples} for f in mine[:5]],
            check_name=f"gx:{mart}"))
    return out
