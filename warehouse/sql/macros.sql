-- Helper macros for staging SQL. Temporary: created on every connection, never stored in the warehouse.

-- Dates and times are parsed without try_strptime: on DuckDB 1.5.x, try_strptime over the dictionary-compressed
-- text of a raw table can crash the process (a segmentation fault in StrpTimeFormat::Parse, about 1 run in 5 at
-- 1 M contacts; see the README's "DuckDB crash"). A dd/mm/yyyy value is rewritten to ISO order by a regular
-- expression and cast with TRY_CAST, which never enters that code. tests/test_date_parsing.py holds these to the
-- old parser's results.
CREATE OR REPLACE TEMP MACRO uk_dmy_to_iso(v) AS
    regexp_replace(v, '^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})', '\3-\2-\1');

-- Text or Excel serial -> DATE. Accepts dd/mm/yyyy, yyyy-mm-dd and Excel day numbers (XLSX date cells).
CREATE OR REPLACE TEMP MACRO uk_date(v) AS CASE
    WHEN nullif(trim(v), '') IS NULL THEN NULL
    WHEN regexp_full_match(trim(v), '\d{5}(\.\d+)?') THEN DATE '1899-12-30' + CAST(floor(CAST(trim(v) AS DOUBLE)) AS INTEGER)
    WHEN regexp_full_match(trim(v), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}') THEN try_cast(uk_dmy_to_iso(trim(v)) AS DATE)
    ELSE try_cast(trim(v) AS DATE)
END;

-- Text or Excel serial -> TIMESTAMP. Accepts dd/mm/yyyy hh:mm[:ss], ISO 8601 and Excel serials.
CREATE OR REPLACE TEMP MACRO uk_timestamp(v) AS CASE
    WHEN nullif(trim(v), '') IS NULL THEN NULL
    WHEN regexp_full_match(trim(v), '\d{5}(\.\d+)?')
        THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(trim(v) AS DOUBLE) * 86400) AS BIGINT) * 1000000)
    WHEN regexp_full_match(trim(v), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( ([01]?[0-9]|2[0-3]):[0-5]?[0-9](:[0-5]?[0-9])?)?')
        THEN try_cast(uk_dmy_to_iso(trim(v)) AS TIMESTAMP)
    ELSE try_cast(trim(v) AS TIMESTAMP)
END;

-- YYYY-MM (a delivery's or return's month) -> the DATE of its first day; NULL when it is not one.
CREATE OR REPLACE TEMP MACRO uk_month(v) AS CASE
    WHEN regexp_full_match(trim(v), '[0-9]{4}-[0-9]{1,2}') THEN try_cast(trim(v) || '-01' AS DATE)
END;

-- Y/N style flags -> BOOLEAN (NULL when it is neither).
CREATE OR REPLACE TEMP MACRO yes_no(v) AS CASE
    WHEN upper(trim(v)) IN ('Y', 'YES', 'TRUE', '1') THEN true
    WHEN upper(trim(v)) IN ('N', 'NO', 'FALSE', '0') THEN false
END;

-- Amounts and counts as exported: thousands separators, pound signs and spaces tolerated.
CREATE OR REPLACE TEMP MACRO to_number(v) AS
    try_cast(replace(replace(replace(trim(v), ',', ''), '£', ''), ' ', '') AS DOUBLE);

CREATE OR REPLACE TEMP MACRO clean(v) AS nullif(trim(v), '');

-- A stable pseudonym for a case or person identifier (keyed: set BDC_PSEUDONYM_KEY in production).
CREATE OR REPLACE TEMP MACRO pseudonymise(v) AS
    CASE WHEN nullif(trim(v), '') IS NOT NULL
         THEN left(sha256(getvariable('pseudonym_key') || ':' || trim(v)), 24) END;

-- The reasons a staging row is rejected, joined; NULL when there are none.
CREATE OR REPLACE TEMP MACRO reasons(parts) AS nullif(array_to_string(parts, '; '), '');  -- NULL parts are skipped
