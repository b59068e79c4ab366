-- Wards of the district with the council-defined locality each belongs to.
SELECT
    o.ward_code,
    any_value(o.ward_name)                              AS ward_name,
    coalesce(any_value(l.locality_code), 'unassigned')  AS locality_code,
    coalesce(any_value(l.locality_name), 'Unassigned')  AS locality_name,
    getvariable('district_code')                        AS lad_code
FROM staging.ons_lookup o
LEFT JOIN staging.localities l USING (ward_code)
GROUP BY o.ward_code
