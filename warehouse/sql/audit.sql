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
