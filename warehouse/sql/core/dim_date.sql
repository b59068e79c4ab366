-- Calendar with the council's financial year (April to March) and quarters.
SELECT
    d::DATE                                    AS date,
    date_trunc('month', d)::DATE               AS month_start,
    year(d)                                    AS year,
    month(d)                                   AS month,
    CASE WHEN month(d) >= 4 THEN year(d) ELSE year(d) - 1 END AS fy_start_year,
    CASE WHEN month(d) >= 4 THEN year(d) ELSE year(d) - 1 END || '/' ||
        right(CAST(CASE WHEN month(d) >= 4 THEN year(d) + 1 ELSE year(d) END AS VARCHAR), 2) AS financial_year,
    'Q' || ((month(d) + 8) % 12 // 3 + 1)      AS financial_quarter,
    dayname(d)                                 AS day_name,
    isodow(d) >= 6                             AS is_weekend
FROM range(DATE '2010-01-01', DATE '2036-01-01', INTERVAL 1 DAY) t(d)
