-- 001: the core star schema. Applied once, recorded in schema_migrations.

-- One row per document (a raw file's bytes) ever loaded; a changed or removed file's row is retired, not deleted.
CREATE TABLE IF NOT EXISTS dim_document (
    doc_id            VARCHAR PRIMARY KEY,      -- sha256 of the raw bytes
    file              VARCHAR NOT NULL,         -- path relative to raw/
    url               VARCHAR,
    title             VARCHAR,
    published         DATE,
    region_zh         VARCHAR,
    encoding          VARCHAR NOT NULL,
    size_bytes        BIGINT NOT NULL,
    figure_count      INTEGER NOT NULL,
    extractor_version VARCHAR NOT NULL,
    loaded_at         TIMESTAMP NOT NULL,
    retired_at        TIMESTAMP                 -- set when the file changed or disappeared
);

-- dim_region comes from the extractor's gazetteer (extraction/regions.py gazetteer_rows(unique_names=True)).
-- A name shared by several divisions (鼓楼区 ×4, 城区 ×5) keeps one row: the division regions.lookup() returns
-- (highest level, then lowest code), because figures carry region_zh alone and resolve to that reading.
CREATE TABLE IF NOT EXISTS dim_region (
    region_zh VARCHAR PRIMARY KEY,
    level     VARCHAR NOT NULL,                 -- province / prefecture / county / district
    parent    VARCHAR,
    province  VARCHAR,
    code      VARCHAR
);

-- The metric catalogue (warehouse/metric_catalogue.yaml): the ids figures and series join on.
CREATE TABLE IF NOT EXISTS dim_metric (
    metric_id      VARCHAR PRIMARY KEY,         -- e.g. gdp.total
    category       VARCHAR NOT NULL,
    name_zh        VARCHAR NOT NULL,
    unit_canonical VARCHAR NOT NULL,            -- yuan / percent / points / count / …
    description    VARCHAR
);

-- One row per figure read from a document: its value, unit, period, region, metric and the quote it came from.
CREATE TABLE IF NOT EXISTS fact_figure (
    figure_id           VARCHAR PRIMARY KEY,    -- stable: hash of doc_id, offsets and value
    doc_id              VARCHAR NOT NULL,
    file                VARCHAR NOT NULL,
    region_zh           VARCHAR,
    period              VARCHAR NOT NULL,
    year                INTEGER,                -- the calendar year the period names, when it names one
    period_grain        VARCHAR NOT NULL,       -- year / half_year / cumulative / annual / relative / unknown
    kind                VARCHAR NOT NULL,
    metric_zh           VARCHAR,
    metric_id           VARCHAR,                -- from dim_metric; NULL when the catalogue has no entry
    category            VARCHAR NOT NULL,
    value               DOUBLE NOT NULL,
    value_max           DOUBLE,
    unit_zh             VARCHAR,
    value_canonical     DOUBLE NOT NULL,
    value_max_canonical DOUBLE,
    unit_canonical      VARCHAR NOT NULL,
    qualifier           VARCHAR NOT NULL,
    quote               VARCHAR NOT NULL,
    char_start          INTEGER NOT NULL,
    char_end            INTEGER NOT NULL,
    loaded_at           TIMESTAMP NOT NULL,
    retired_at          TIMESTAMP
);

-- Files of raw/ that were not loaded, with the reason (open until the file loads or disappears).
CREATE TABLE IF NOT EXISTS rejected_documents (
    file          VARCHAR NOT NULL,
    doc_id        VARCHAR NOT NULL,             -- '' when the bytes were never read (too large, outside raw/)
    size_bytes    BIGINT NOT NULL,
    reason        VARCHAR NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    resolved_at   TIMESTAMP,                    -- set once the file loads or disappears
    PRIMARY KEY (file, doc_id)
);

-- Problems of raw/manifest.csv found by the last load (line 0: the manifest as a whole).
CREATE TABLE IF NOT EXISTS manifest_problems (
    line   INTEGER NOT NULL,
    file   VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
);

-- Figures set aside by an expectation instead of loaded, with the rule and the whole row (open until resolved).
CREATE TABLE IF NOT EXISTS quarantined_figures (
    figure_id      VARCHAR NOT NULL,
    doc_id         VARCHAR NOT NULL,
    file           VARCHAR NOT NULL,
    expectation    VARCHAR NOT NULL,            -- the failed expectation's name
    run_id         VARCHAR NOT NULL,
    quarantined_at TIMESTAMP NOT NULL,
    figure         JSON NOT NULL,               -- the whole row as it was
    PRIMARY KEY (figure_id, expectation)
);

-- One row per run of the load, with what it did and its check counts.
CREATE TABLE IF NOT EXISTS load_runs (
    run_id            VARCHAR PRIMARY KEY,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    status            VARCHAR NOT NULL,
    documents_seen    INTEGER NOT NULL DEFAULT 0,
    documents_new     INTEGER NOT NULL DEFAULT 0,
    documents_changed INTEGER NOT NULL DEFAULT 0,
    documents_removed INTEGER NOT NULL DEFAULT 0,
    documents_rejected INTEGER NOT NULL DEFAULT 0,
    figures_inserted  INTEGER NOT NULL DEFAULT 0,
    figures_retired   INTEGER NOT NULL DEFAULT 0,
    figures_quarantined INTEGER NOT NULL DEFAULT 0,
    checks_passed     INTEGER,
    checks_failed     INTEGER
);
