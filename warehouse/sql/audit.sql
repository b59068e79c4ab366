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
-- The order results were recorded in (audit.build_seq): "latest" never depends on wall-clock time.
ALTER TABLE audit.check_results ADD COLUMN IF NOT EXISTS seq BIGINT;

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
-- The night (as_of) each file was loaded: its rows' dates may not be after it ("not in the future").
ALTER TABLE audit.loaded_files ADD COLUMN IF NOT EXISTS loaded_as_of DATE;
-- The night a duplicate was seen: an empty month's file (a header only, the same bytes as an earlier empty
-- month's) is that month's delivery from that night (sources/deliveries.py).
ALTER TABLE audit.duplicate_deliveries ADD COLUMN IF NOT EXISTS seen_as_of DATE;
-- When each file was loaded, in build order (see audit.build_seq): a refusal is resolved by a later delivery.
ALTER TABLE audit.loaded_files ADD COLUMN IF NOT EXISTS load_seq BIGINT;

-- Each time history held under a former measure id (catalogue `renamed_from`) moved to the current id
-- (warehouse/renames.py): once after the rename, again only if something wrote under the former id since
-- (code rolled back for a while). A rename is the same series under a new id, never a new series.
CREATE TABLE IF NOT EXISTS audit.measure_renames (
    former_id    VARCHAR NOT NULL,
    measure_id   VARCHAR NOT NULL,
    renamed_at   TIMESTAMP NOT NULL,
    renamed_as_of DATE NOT NULL,
    run_id       VARCHAR,
    rows_moved   BIGINT NOT NULL     -- history rows moved (values, changes, definitions, check results, holds)
);

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
-- (staging SQL, pandera rules, pseudonymisation key, reference tables): see sources/staging.py.
CREATE TABLE IF NOT EXISTS audit.staging_state (
    source      VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    mode        VARCHAR NOT NULL,  -- full or incremental
    staged_at   TIMESTAMP NOT NULL,
    run_id      VARCHAR
);
ALTER TABLE audit.staging_state ADD COLUMN IF NOT EXISTS restaged_at TIMESTAMP;  -- the last full re-stage
-- Builds are ordered by audit.build_seq, never by wall-clock time (local time repeats an hour each October).
ALTER TABLE audit.staging_state ADD COLUMN IF NOT EXISTS restaged_seq BIGINT;

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
ALTER TABLE audit.model_state ADD COLUMN IF NOT EXISTS built_seq BIGINT;    -- audit.build_seq of the last build
ALTER TABLE audit.model_state ADD COLUMN IF NOT EXISTS rebuilt_seq BIGINT;  -- ... and of the last full build
CREATE SEQUENCE IF NOT EXISTS audit.build_seq;

-- Landing files that could not be loaded (unreadable, wrong encoding, a missing column, truncated): their
-- source is held back until the file is replaced by a later delivery of the same period, fixed or removed.
CREATE TABLE IF NOT EXISTS audit.refused_files (
    source            VARCHAR NOT NULL,
    file_name         VARCHAR NOT NULL,
    file_path         VARCHAR NOT NULL,
    delivery_key      VARCHAR,
    size_bytes        BIGINT,
    file_modified_ns  BIGINT,
    problem           VARCHAR NOT NULL,
    first_refused_at  TIMESTAMP NOT NULL,
    first_refused_seq BIGINT NOT NULL,
    first_run_id      VARCHAR,
    last_refused_at   TIMESTAMP NOT NULL,
    last_run_id       VARCHAR,
    resolved_at       TIMESTAMP,
    resolution        VARCHAR,
    PRIMARY KEY (source, file_path)
);

-- Sources and measures held back at their last good data because a blocking check failed or a file was
-- refused (quality/holds.py). An open hold has no released_at.
CREATE TABLE IF NOT EXISTS audit.holds (
    subject_type     VARCHAR NOT NULL,   -- source or measure
    subject          VARCHAR NOT NULL,
    held_since       TIMESTAMP NOT NULL,
    held_since_as_of DATE NOT NULL,
    held_since_run   VARCHAR,
    last_held_run    VARCHAR,
    last_held_as_of  DATE,
    reason           VARCHAR NOT NULL,   -- the blocking checks that failed, and refused files, in words
    files            VARCHAR,            -- JSON: the files whose rows are held back
    released_at      TIMESTAMP,
    released_as_of   DATE,
    released_run     VARCHAR
);

-- The rows of a held-back source's latest attempt that failed (its quarantine, which the rolled-back staging
-- does not keep): what to fix in the delivery. Replaced at each attempt; emptied when the source passes.
CREATE TABLE IF NOT EXISTS audit.held_rows (
    source         VARCHAR NOT NULL,
    source_file    VARCHAR NOT NULL,
    file_sha256    VARCHAR NOT NULL,
    row_number     BIGINT NOT NULL,
    reason         VARCHAR NOT NULL,
    failed_checks  VARCHAR,
    run_id         VARCHAR,
    recorded_at    TIMESTAMP NOT NULL
);
