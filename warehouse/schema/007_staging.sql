-- 007: the stages of a load hand off through DuckDB tables in the schema `staging` (issue 16), and
-- metric_series is a table materialised once per load instead of a view computed on every query.
--
-- Each staging table holds the latest output of its stage; the next stage reads it, the load merges it
-- into the warehouse in one transaction. Analysts read the main schema; staging is the pipeline's.

CREATE SCHEMA IF NOT EXISTS staging;

-- Which run last wrote each stage: a stage reads its input only when the same run wrote it, so that two
-- runs never mix their stages.
CREATE TABLE IF NOT EXISTS staging.stg_run (
    stage      VARCHAR PRIMARY KEY,          -- raw_documents / figures / figures_clean / warehouse
    run_id     VARCHAR NOT NULL,
    written_at TIMESTAMP NOT NULL,
    source_signature BIGINT[]                -- raw_documents: (size, mtime, ctime, inode) of raw/manifest.csv as read
);

-- raw_documents: every readable file of raw/, read and decoded once. A file whose stat signature
-- (size, mtime, ctime, inode) is unchanged since the last scan keeps its row without being opened again.
CREATE TABLE IF NOT EXISTS staging.stg_document (
    file            VARCHAR PRIMARY KEY,     -- path relative to raw/
    doc_id          VARCHAR NOT NULL,        -- sha256 of the raw bytes
    size_bytes      BIGINT NOT NULL,
    encoding        VARCHAR NOT NULL,
    text            VARCHAR NOT NULL,        -- the decoded text the extractor read (offsets index into it)
    url             VARCHAR NOT NULL,        -- manifest metadata ('' when the manifest has no row)
    title           VARCHAR NOT NULL,
    published       VARCHAR NOT NULL,
    region_override VARCHAR NOT NULL,
    year_override   INTEGER,
    metadata_sha256 VARCHAR NOT NULL,        -- sha256 of that metadata (RawDocument.metadata_fingerprint)
    mtime_ns        BIGINT NOT NULL,
    ctime_ns        BIGINT NOT NULL,
    inode           BIGINT NOT NULL,
    decoded_by      VARCHAR NOT NULL,        -- the extractor version whose decoder read the bytes
    scanned_at      TIMESTAMP NOT NULL       -- when the bytes were last read
);

-- raw_documents: files of raw/ that are not documents (too large, undecodable, outside raw/), with the reason.
CREATE TABLE IF NOT EXISTS staging.stg_rejected (
    file       VARCHAR NOT NULL,
    doc_id     VARCHAR NOT NULL,             -- '' when the bytes were never read
    size_bytes BIGINT NOT NULL,
    reason     VARCHAR NOT NULL,
    -- an undecodable file's stat signature and the decoder that refused it: unchanged, it is not read again
    mtime_ns   BIGINT,
    ctime_ns   BIGINT,
    inode      BIGINT,
    decoded_by VARCHAR
);

-- raw_documents: problems of raw/manifest.csv (line 0: the manifest as a whole).
CREATE TABLE IF NOT EXISTS staging.stg_manifest_problem (
    line   INTEGER NOT NULL,
    file   VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
);

-- figures: what the load does with each file of raw/ (the plan), and each extracted document's region.
CREATE TABLE IF NOT EXISTS staging.stg_plan (
    file      VARCHAR NOT NULL,
    doc_id    VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,              -- new / changed / unchanged / removed / duplicate / failed
    reason    VARCHAR,                       -- duplicate: the copy that loads; failed: the extraction error
    region_zh VARCHAR,                       -- the document's region (extracted documents)
    run_id    VARCHAR NOT NULL
);

-- figures: the figure rows of the documents this run extracted (the spec's columns, structured).
CREATE TABLE IF NOT EXISTS staging.stg_figure (
    doc_id        VARCHAR NOT NULL,
    file          VARCHAR NOT NULL,
    doc           VARCHAR,
    region_zh     VARCHAR,
    period        VARCHAR,
    metric_zh     VARCHAR,
    category      VARCHAR,
    value         DOUBLE,
    value_max     DOUBLE,
    unit_zh       VARCHAR,
    value_canonical DOUBLE,
    qualifier     VARCHAR,
    kind          VARCHAR,
    quote         VARCHAR,
    char_start    BIGINT,
    char_end      BIGINT,
    period_basis  VARCHAR,
    region_basis  VARCHAR,
    kind_basis    VARCHAR,
    sentence      VARCHAR,
    year          INTEGER,                   -- the calendar year the period names (extraction.models.period_parts)
    period_grain  VARCHAR                    -- year / half_year / target_year / cumulative / annual / relative / unknown
);

-- The whole sentence (or table row) each figure sits in, beside its quote (issue 17).
ALTER TABLE fact_figure ADD COLUMN IF NOT EXISTS sentence VARCHAR;
COMMENT ON COLUMN fact_figure.sentence IS 'the sentence or table row of the raw text the quote sits in (extraction/sentences.py; at most 400 characters, cut around the quote with …); NULL for rows loaded before migration 007 until their document is extracted again';

-- figures_clean: the clean rows that pass every row-level and subject-fact rule (fact_figure's columns).
CREATE TABLE IF NOT EXISTS staging.stg_figure_clean AS SELECT * EXCLUDE (loaded_at, retired_at) FROM fact_figure LIMIT 0;

-- figures_clean: the rows set aside, each with the first rule it failed.
CREATE TABLE IF NOT EXISTS staging.stg_quarantine (
    figure_id   VARCHAR NOT NULL,
    doc_id      VARCHAR NOT NULL,
    file        VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    figure      JSON NOT NULL
);

-- active_figure selects * : recreated so that it carries the new column.
CREATE OR REPLACE VIEW active_figure AS
SELECT * FROM fact_figure WHERE retired_at IS NULL;

-- series_figure carries each figure's file and sentence, so a series reaches its statements in one join.
CREATE OR REPLACE VIEW series_figure AS
SELECT f.figure_id, f.doc_id, f.file, f.region_zh, f.metric_id,
       CASE WHEN f.metric_id IS NULL THEN f.metric_key END AS metric_key, f.category,
       coalesce(f.metric_id, 'key:' || f.category || ':' || f.metric_key) AS series_key,
       f.metric_id IS NOT NULL AS catalogued, f.year, f.unit_canonical, f.quote,
       CASE WHEN f.qualifier = 'decrease' THEN -f.value_canonical ELSE f.value_canonical END AS value,
       f.sentence
FROM fact_figure f
WHERE f.retired_at IS NULL AND f.kind = 'actual' AND f.period_grain = 'year'
  AND (f.metric_id IS NOT NULL OR (coalesce(f.metric_key, '') <> '' AND NOT starts_with(f.metric_key, '~')))
  AND f.region_zh IS NOT NULL AND f.year IS NOT NULL;

-- metric_series becomes a table: the view keeps its definition under a new name and the load refreshes
-- the table from it (warehouse/schema/subject_facts.sql). target_progress and undated_targets read the
-- table by name, so they get faster too.
ALTER VIEW metric_series RENAME TO metric_series_computed;

-- One row per region × series × year of actual figures: the value most documents state, its sources and
-- whether they conflict (columns: the view metric_series_computed, migration 005). Refreshed by every load.
CREATE TABLE metric_series AS SELECT * FROM metric_series_computed ORDER BY region_zh, metric_id, year;

-- every run is recorded, whatever it did (status loaded / unchanged / failed), and how it was started.
ALTER TABLE load_runs ADD COLUMN IF NOT EXISTS trigger VARCHAR;
ALTER TABLE load_runs ADD COLUMN IF NOT EXISTS failure VARCHAR;
COMMENT ON COLUMN load_runs.trigger IS 'how the run was started: qcity load / schedule:<name> / sensor:<name> / backfill:<id> / ui';
COMMENT ON COLUMN load_runs.failure IS 'a failed run: the failed steps and their error (nothing of the run was written)';

-- A view of each metric_series row's sources, one row per figure: the file, quote and sentence behind a value.
CREATE OR REPLACE VIEW metric_series_source AS
SELECT s.region_zh, s.metric_id, s.series_key, s.year, s.value AS series_value, s.conflict,
       f.value, f.file, f.doc_id, f.figure_id, f.quote, f.sentence
FROM metric_series s
JOIN series_figure f ON f.region_zh = s.region_zh AND f.series_key = s.series_key AND f.year = s.year;
