-- Index of Multiple Deprivation 2019 by LSOA, with the LSOA's ward.
SELECT i.lsoa_code, l.ward_code, i.imd_score, i.imd_rank, i.imd_decile, i.income_score, i.employment_score
FROM staging.imd2019 i JOIN core.dim_lsoa l USING (lsoa_code)
