-- Dashboard, part 3: demographic context by council, locality and ward, each indicator linked to the
-- strategic purpose it informs.
WITH areas AS (
    SELECT area_type, area_code, area_name FROM core.dim_area WHERE area_type IN ('district', 'locality', 'ward')
),
age AS (
    SELECT area_type, area_code,
           sum(residents) AS residents,
           sum(residents) FILTER (WHERE age_from >= 65) AS aged_65_plus,
           sum(residents) FILTER (WHERE age_to IS NOT NULL AND age_to <= 14) AS aged_0_14
    FROM core.population_by_age GROUP BY ALL
),
deprivation AS (
    -- LSOAs in the most deprived 30% nationally (IMD deciles 1-3), rolled up through wards.
    SELECT 'ward' AS area_type, d.ward_code AS area_code, count(*) AS lsoas,
           count(*) FILTER (WHERE d.imd_decile <= 3) AS most_deprived_lsoas, avg(d.imd_score) AS mean_imd_score
    FROM core.deprivation d GROUP BY ALL
    UNION ALL
    SELECT 'locality', w.locality_code, count(*), count(*) FILTER (WHERE d.imd_decile <= 3), avg(d.imd_score)
    FROM core.deprivation d JOIN core.dim_ward w USING (ward_code) GROUP BY ALL
    UNION ALL
    SELECT 'district', getvariable('district_code'), count(*), count(*) FILTER (WHERE d.imd_decile <= 3), avg(d.imd_score)
    FROM core.deprivation d
),
indicators AS (
    SELECT area_type, area_code, 'population' AS theme, NULL AS purpose_id, 'Usual residents' AS indicator,
           usual_residents::DOUBLE AS value, 'count' AS unit, 'Census 2021 TS001' AS source
    FROM core.population
    UNION ALL
    SELECT area_type, area_code, 'age', 'live_independently', 'Residents aged 65 and over (%)',
           round(100.0 * aged_65_plus / nullif(residents, 0), 1), 'percent', 'Census 2021 TS007A' FROM age
    UNION ALL
    SELECT area_type, area_code, 'age', 'things_to_do', 'Residents aged 0 to 14 (%)',
           round(100.0 * aged_0_14 / nullif(residents, 0), 1), 'percent', 'Census 2021 TS007A' FROM age
    UNION ALL
    SELECT area_type, area_code, 'deprivation', 'financially_independent',
           'LSOAs in the most deprived 30% in England', most_deprived_lsoas, 'count', 'IMD 2019' FROM deprivation
    UNION ALL
    SELECT area_type, area_code, 'deprivation', 'financially_independent', 'Mean IMD score of LSOAs',
           round(mean_imd_score, 2), 'score', 'IMD 2019' FROM deprivation
)
SELECT a.area_type, a.area_code, a.area_name, i.theme, i.purpose_id, p.purpose_title, i.indicator, i.value,
       i.unit, i.source
FROM indicators i
JOIN areas a USING (area_type, area_code)
LEFT JOIN core.dim_purpose p USING (purpose_id)
ORDER BY a.area_type, a.area_code, i.theme, i.indicator
