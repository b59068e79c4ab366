"""Turn a catalogue measure's observation SQL into tidy measure rows: one per period x area.

A measure's SQL returns observations with `event_date` plus, by aggregation:
  sum             numerator                 value = sum(numerator)
  ratio           numerator, denominator    value = scale * sum(numerator) / sum(denominator)
  per_population  numerator                 value = scale * sum(numerator) / Census 2021 residents of the area
  median          observation               value = median(observation)
and `ward_code` (for ward/locality breakdowns) or `team_code` (for the team breakdown).
All breakdowns are computed in one pass with GROUPING SETS. Counts (sum, per_population) are zero-filled for
areas with no observations in a period; ratios and medians are left absent (there is nothing to divide).
"""

from __future__ import annotations

from warehouse.catalogue import FREQUENCIES, Measure, catalogue

GROUP_COLUMN = {"ward": "ward_code", "locality": "locality_code", "team": "team_code"}


# Sums are exact: each observation to 18 decimal places, added as a DECIMAL. A sum of DOUBLEs depends on the order
# DuckDB's threads add them in, so two runs over the same rows could differ in the last bits (seen at 10 M
# contacts: 8 rows of sickness_days_per_fte, relative difference 1e-13), and a night could never be proved the
# same as a rebuild. 18 places round an observation by at most 5e-19: below a DOUBLE's own precision for any
# value over 0.01 (an FTE of 0.5 hours in 37.5 is 0.0133...), so the value agrees with quality/verify.py's DOUBLE
# recomputation. A group holding a value outside that range (NaN, infinite, or 10^12 and over, which leaves
# DECIMAL(38, 18) room for 10^8 rows) is summed as DOUBLEs, as before, so the NaN or the absurd total still
# reaches the `accurate` check instead of failing the step or being dropped.
EXACT_SUM = ("CASE WHEN count(*) FILTER (WHERE NOT (isfinite(({0})::DOUBLE) AND abs(({0})::DOUBLE) < 1e12)) = 0 "
             "THEN sum(try_cast(({0}) AS DECIMAL(38, 18)))::DOUBLE ELSE sum(({0})::DOUBLE) END")


def _aggregates(measure: Measure) -> str:
    numerator, denominator = EXACT_SUM.format("numerator"), EXACT_SUM.format("denominator")
    return {
        "sum": f"{numerator} AS numerator, NULL::DOUBLE AS denominator, NULL::DOUBLE AS median_value",
        "per_population": f"{numerator} AS numerator, NULL::DOUBLE AS denominator, NULL::DOUBLE AS median_value",
        "ratio": f"{numerator} AS numerator, {denominator} AS denominator, NULL::DOUBLE AS median_value",
        "median": "NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, "
                  "median(observation)::DOUBLE AS median_value",
    }[measure.aggregation]


def _value(measure: Measure) -> tuple[str, str]:
    """(value expression, denominator expression) over the grouped row `g` and population `p`."""
    scale = repr(measure.scale)
    return {
        "sum": ("g.numerator", "NULL::DOUBLE"),
        "ratio": (f"{scale} * g.numerator / nullif(g.denominator, 0)", "g.denominator"),
        "per_population": (f"{scale} * g.numerator / nullif(p.usual_residents, 0)", "p.usual_residents::DOUBLE"),
        "median": ("g.median_value", "g.observations::DOUBLE"),
    }[measure.aggregation]


def compile_measure(measure: Measure) -> str:
    """SQL that returns the measure's rows in the shape of marts.measure_values."""
    unit = FREQUENCIES[measure.frequency]
    groups = [b for b in measure.breakdowns if b != "district"]
    needs_locality = "locality" in groups
    locality_join = "LEFT JOIN core.dim_ward w ON w.ward_code = o.ward_code" if needs_locality else ""
    locality_col = ", w.locality_code" if needs_locality else ""
    sets = ", ".join(["(period_start)"] + [f"(period_start, {GROUP_COLUMN[g]})" for g in groups])
    area_type = " ".join(f"WHEN GROUPING({GROUP_COLUMN[g]}) = 0 THEN '{g}'" for g in groups)
    area_code = " ".join(f"WHEN GROUPING({GROUP_COLUMN[g]}) = 0 THEN {GROUP_COLUMN[g]}" for g in groups)
    area_type_sql = f"CASE {area_type} ELSE 'district' END" if groups else "'district'"
    district = "getvariable('district_code')"
    area_code_sql = f"CASE {area_code} ELSE {district} END" if groups else district
    value, denominator = _value(measure)
    zero_fill = measure.aggregation in ("sum", "per_population")
    area_types = ", ".join(f"'{b}'" for b in measure.breakdowns if b != "team")
    team_areas = "UNION ALL SELECT 'team', team_id FROM core.dim_team" if "team" in groups else ""
    frame = (f"""frame AS (
    SELECT periods.period_start, areas.area_type, areas.area_code
    FROM (SELECT DISTINCT period_start FROM grouped) periods
    CROSS JOIN (SELECT area_type, area_code FROM core.dim_area WHERE area_type IN ({area_types}) {team_areas}) areas
),
filled AS (
    SELECT f.period_start, f.area_type, f.area_code, coalesce(g.numerator, 0) AS numerator, g.denominator,
           g.median_value, coalesce(g.observations, 0) AS observations
    FROM frame f LEFT JOIN grouped g USING (period_start, area_type, area_code)
)""" if zero_fill else "filled AS (SELECT * FROM grouped)")
    return f"""
WITH observations AS (
{measure.sql}
),
placed AS (
    SELECT o.*{locality_col}, date_trunc('{unit}', o.event_date)::DATE AS period_start
    FROM observations o {locality_join}
    WHERE o.event_date IS NOT NULL
),
grouped AS (
    SELECT period_start,
           {area_type_sql} AS area_type,
           {area_code_sql} AS area_code,
           {_aggregates(measure)},
           count(*) AS observations
    FROM placed
    GROUP BY GROUPING SETS ({sets})
),
{frame}
SELECT '{measure.id}' AS measure_id,
       g.period_start,
       (g.period_start + INTERVAL 1 {unit} - INTERVAL 1 DAY)::DATE AS period_end,
       g.area_type, g.area_code,
       ({value})::DOUBLE AS value,
       g.numerator,
       ({denominator}) AS denominator,
       g.observations
FROM filled g
LEFT JOIN core.population p ON p.area_type = g.area_type AND p.area_code = g.area_code
WHERE g.area_code IS NOT NULL
ORDER BY g.period_start, g.area_type, g.area_code
"""


MEASURE_VALUES_COLUMNS = ("measure_id, period_start, period_end, area_type, area_code, value, numerator, "
                          "denominator, observations")


def measure_values_sql() -> str:
    """marts.measure_values: every catalogue measure's rows, one SELECT each (the list is the catalogue's, so
    this SQL is generated rather than kept in a file)."""
    return "\nUNION ALL\n".join(f"SELECT {MEASURE_VALUES_COLUMNS} FROM measures.{m}" for m in catalogue().measures)
