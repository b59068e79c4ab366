-- Audit tables: what was delivered, what was loaded, and every row that did not reach staging.
CREATE TABLE IF NOT EXISTS audit.loaded_files (
    source      VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    file_path   VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    size_bytes  BIGINT,
    rows_loaded BIGINT NOT NULL,
    blank_rows  BIGINT NOT NULL,
    notes       VARCHAR,
    loaded_at   TIMESTAMP NOT NULL,
    run_id      VARCHAR,
    PRIMARY KEY (source, file_sha256)
);

-- A delivery whose bytes were already loaded (same SHA-256): recorded once, not loaded again.
CREATE TABLE IF NOT EXISTS audit.duplicate_deliveries (
    source       VARCHAR NOT NULL,
    file_path    VARCHAR NOT NULL,
    file_sha256  VARCHAR NOT NULL,
    duplicate_of VARCHAR NOT NULL,
    seen_at      TIMESTAMP NOT NULL,
    run_id       VARCHAR,
    PRIMARY KEY (source, file_path, file_sha256)
);

-- Rows kept out of staging because they break the contract or cannot be conformed.
CREATE TABLE IF NOT EXISTS audit.quarantine (
    source      VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    row_number  BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    run_id      VARCHAR,
    recorded_at TIMESTAMP NOT NULL
);

-- Rows delivered but not for this warehouse (e.g. a police.uk row in another district).
CREATE TABLE IF NOT EXISTS audit.out_of_scope (
    source      VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    row_number  BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    run_id      VARCHAR,
    recorded_at TIMESTAMP NOT NULL
);

-- Row conservation per file and source: raw = staged + quarantined + out of scope.
CREATE TABLE IF NOT EXISTS audit.row_conservation (
    source        VARCHAR NOT NULL,
    source_file   VARCHAR NOT NULL,
    file_sha256   VARCHAR NOT NULL,
    raw_rows      BIGINT NOT NULL,
    staged_rows   BIGINT NOT NULL,
    quarantined   BIGINT NOT NULL,
    out_of_scope  BIGINT NOT NULL,
    balanced      BOOLEAN NOT NULL,
    checked_at    TIMESTAMP NOT NULL,
    run_id        VARCHAR
);

-- Which checks a quarantined row failed ('conform' = the staging SQL could not type or conform it).
ALTER TABLE audit.quarantine ADD COLUMN IF NOT EXISTS failed_checks VARCHAR;

-- Every data-quality check result, per run: the history behind marts.quality_scorecard.
CREATE TABLE IF NOT EXISTS audit.check_results (
    run_id       VARCHAR,
    checked_at   TIMESTAMP NOT NULL,
    subject_type VARCHAR NOT NULL,   -- 'source', 'measure' or 'mart'
    subject      VARCHAR NOT NULL,   -- source name, measure id or mart table
    criterion    VARCHAR NOT NULL,   -- relevant, well_defined, timely, reliable, verifiable, accurate
    check_name   VARCHAR NOT NULL,   -- the Dagster check (or GX suite) that produced it
    status       VARCHAR NOT NULL,   -- pass, warn or fail
    period       DATE,               -- the period judged, where the check is about one
    rows_failed  BIGINT,
    reason       VARCHAR NOT NULL,
    sample       VARCHAR,            -- JSON: a few failing rows
    owner        VARCHAR
);

-- Each measure definition (SHA-256 of its catalogue SQL) the warehouse has published, and since when.
CREATE TABLE IF NOT EXISTS audit.measure_definitions (
    measure_id     VARCHAR NOT NULL,
    definition     VARCHAR NOT NULL,   -- first 12 hex digits of the SHA-256 of the measure's SQL
    first_seen_at  TIMESTAMP NOT NULL,
    run_id         VARCHAR,
    rebase_reason  VARCHAR,            -- from the catalogue's `rebases` entry, when the change was recorded
    PRIMARY KEY (measure_id, definition)
);

-- Corrected re-deliveries: a file for a delivery (the YYYY-MM period in its name, else its name) already
-- loaded replaces the earlier one; the earlier stays in raw, marked here, and its rows are out of scope.
ALTER TABLE audit.loaded_files ADD COLUMN IF NOT EXISTS delivery_key VARCHAR;
ALTER TABLE audit.loaded_files ADD COLUMN IF NOT EXISTS superseded_by VARCHAR;
ALTER TABLE audit.loaded_files ADD COLUMN IF NOT EXISTS superseded_at TIMESTAMP;
-- The file's modification time when loaded: with its path and size, lets a later night skip re-hashing it.
ALTER TABLE audit.loaded_files ADD COLUMN IF NOT EXISTS file_modified_ns BIGINT;

-- Published measure values that a later run changed or removed (e.g. after a corrected re-delivery).
CREATE TABLE IF NOT EXISTS audit.measure_value_changes (
    measure_id   VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    area_type    VARCHAR NOT NULL,
    area_code    VARCHAR NOT NULL,
    old_value    DOUBLE,
    new_value    DOUBLE,
    change       VARCHAR NOT NULL,   -- changed or removed
    run_id       VARCHAR,
    changed_at   TIMESTAMP NOT NULL
);

-- How each source was last staged, and the fingerprint of what its staging depends on besides its raw rows
-- (staging SQL, pandera rules, pseudonymisation key, reference tables): see warehouse/incremental.py.
CREATE TABLE IF NOT EXISTS audit.staging_state (
    source      VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    mode        VARCHAR NOT NULL,  -- full or incremental
    staged_at   TIMESTAMP NOT NULL,
    run_id      VARCHAR
);
ALTER TABLE audit.staging_state ADD COLUMN IF NOT EXISTS restaged_at TIMESTAMP;  -- the last full re-stage

-- How each core model was last built: in full, or by appending the rows of newly staged files (models whose
-- SQL carries `-- incremental: append`); see warehouse/incremental.py.
CREATE TABLE IF NOT EXISTS audit.model_state (
    table_name  VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    mode        VARCHAR NOT NULL,  -- full or append
    built_at    TIMESTAMP NOT NULL,
    rebuilt_at  TIMESTAMP NOT NULL,  -- the last full build
    run_id      VARCHAR
);
