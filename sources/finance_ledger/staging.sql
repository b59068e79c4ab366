-- staging.finance_ledger: net actuals per cost centre, account and calendar month (financial period 1 = April).
WITH parsed AS (
    SELECT r.*,
           try_cast(regexp_extract(r."Financial Year", '^\s*(\d{4})\s*/\s*\d{2,4}\s*$', 1) AS INTEGER) AS start_year,
           try_cast(trim(r."Period") AS INTEGER) AS fin_period,
           CASE WHEN regexp_full_match(trim(r."Actual"), '\(.*\)')
                THEN -to_number(trim(trim(r."Actual"), '()')) ELSE to_number(r."Actual") END AS amount
    FROM raw.finance_ledger r
)
SELECT
    upper(clean("Cost Centre"))      AS cost_centre,
    clean("Cost Centre Name")        AS cost_centre_name,
    clean("Account")                 AS account,
    clean("Account Name")            AS account_name,
    CASE WHEN fin_period BETWEEN 1 AND 12
         THEN make_date(start_year + CASE WHEN fin_period >= 10 THEN 1 ELSE 0 END, (fin_period + 2) % 12 + 1, 1) END
                                     AS month_start,
    amount,
    _source_file, _file_sha256, _row_number,
    reasons([
        CASE WHEN clean("Cost Centre") IS NULL THEN 'Cost Centre is blank' END,
        CASE WHEN clean("Account") IS NULL THEN 'Account is blank' END,
        CASE WHEN start_year IS NULL THEN 'Financial Year ' || coalesce("Financial Year", '(blank)') || ' is not like 2025/26' END,
        CASE WHEN fin_period IS NULL OR fin_period < 1 OR fin_period > 16 THEN 'Period ' || coalesce("Period", '(blank)') || ' is not a financial period (1 to 12)' END,
        CASE WHEN amount IS NULL THEN 'Actual ' || coalesce("Actual", '(blank)') || ' is not an amount' END
    ])                               AS _reject_reason,
    CASE WHEN fin_period BETWEEN 13 AND 16 THEN 'year-end adjustment period ' || fin_period || ': not part of any month' END
                                     AS _scope_reason
FROM parsed
