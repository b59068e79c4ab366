-- Ledger actuals per cost centre, account and month, with the service each cost centre delivers
-- (warehouse/catalogue/services.yaml; NULL for cost centres not mapped to a service).
SELECT l.month_start, l.cost_centre, l.cost_centre_name, l.account, l.account_name, l.amount, s.service,
       l._source_file, l._file_sha256, l._row_number
FROM staging.finance_ledger l
LEFT JOIN (SELECT service, unnest(cost_centres) AS cost_centre FROM core.dim_service) s USING (cost_centre)
