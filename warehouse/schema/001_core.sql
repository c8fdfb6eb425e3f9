-- 001: the core star schema. Applied once, recorded in schema_migrations.

-- One row per document (a raw file's bytes) ever loaded; a changed or removed file's row is retired, not deleted.
CREATE TABLE IF NOT EXISTS dim_document (
    doc_id            VARCHAR PRIMARY KEY,      -- sha256 of the raw bytes
    file              VARCHAR NOT NULL,         -- path relative to raw/
    url               VARCHAR,                  -- the page the document came from (manifest)
    title             VARCHAR,                  -- its title (manifest)
    published         DATE,                     -- its publication date (manifest)
    region_zh         VARCHAR,                  -- the region the document is about (extraction/context.py)
    encoding          VARCHAR NOT NULL,         -- the encoding its bytes were decoded from
    size_bytes        BIGINT NOT NULL,          -- size of the raw file
    figure_count      INTEGER NOT NULL,         -- figures loaded from it (quarantined ones excluded)
    extractor_version VARCHAR NOT NULL,         -- the extractor that read it (extraction/version.py)
    loaded_at         TIMESTAMP NOT NULL,       -- when the load that wrote it ran
    retired_at        TIMESTAMP                 -- set when the file changed or disappeared
);

-- dim_region comes from the extractor's gazetteer (extraction/regions.py gazetteer_rows(unique_names=True)).
-- A name shared by several divisions (鼓楼区 ×4, 城区 ×5) keeps one row: the division regions.lookup() returns
-- (highest level, then lowest code), because figures carry region_zh alone and resolve to that reading.
CREATE TABLE IF NOT EXISTS dim_region (
    region_zh VARCHAR PRIMARY KEY,              -- the division's name
    level     VARCHAR NOT NULL,                 -- province / prefecture / county / district
    parent    VARCHAR,                          -- the name of the division it belongs to
    province  VARCHAR,                          -- its province
    code      VARCHAR                           -- the administrative division code
);

-- The metric catalogue (warehouse/metric_catalogue.yaml): the ids figures and series join on.
CREATE TABLE IF NOT EXISTS dim_metric (
    metric_id      VARCHAR PRIMARY KEY,         -- e.g. gdp.total
    category       VARCHAR NOT NULL,            -- the figure category the metric belongs to
    name_zh        VARCHAR NOT NULL,            -- its Chinese name
    unit_canonical VARCHAR NOT NULL,            -- yuan / percent / points / count / …
    description    VARCHAR                      -- what it measures
);

-- One row per figure read from a document: its value, unit, period, region, metric and the quote it came from.
CREATE TABLE IF NOT EXISTS fact_figure (
    figure_id           VARCHAR PRIMARY KEY,    -- stable: hash of doc_id, offsets and value
    doc_id              VARCHAR NOT NULL,       -- the document (dim_document)
    file                VARCHAR NOT NULL,       -- its file, relative to raw/
    region_zh           VARCHAR,                -- the region the figure is about
    period              VARCHAR NOT NULL,       -- the spec's period: YYYY, YYYYH1, target:YYYY, cumulative, annual, relative:…, unknown
    year                INTEGER,                -- the calendar year the period names, when it names one
    period_grain        VARCHAR NOT NULL,       -- year / half_year / cumulative / annual / relative / unknown
    kind                VARCHAR NOT NULL,       -- actual / target
    metric_zh           VARCHAR,                -- the metric as the document words it
    metric_id           VARCHAR,                -- from dim_metric; NULL when the catalogue has no entry
    category            VARCHAR NOT NULL,       -- gdp / revenue / rate / growth_rate / …_count (extraction.models.CATEGORIES)
    value               DOUBLE NOT NULL,        -- the number as stated, in unit_zh
    value_max           DOUBLE,                 -- the upper end of a range, in unit_zh
    unit_zh             VARCHAR,                -- the unit as stated (亿元, %, 项)
    value_canonical     DOUBLE NOT NULL,        -- value in unit_canonical (亿元 → yuan)
    value_max_canonical DOUBLE,                 -- value_max in unit_canonical
    unit_canonical      VARCHAR NOT NULL,       -- yuan / percent / points / count / …
    qualifier           VARCHAR NOT NULL,       -- exact / at_least / at_most / more_than / approx / range / increase / decrease
    quote               VARCHAR NOT NULL,       -- the document's text at [char_start, char_end)
    char_start          INTEGER NOT NULL,       -- offset of the quote in the decoded text (characters)
    char_end            INTEGER NOT NULL,       -- end of the quote (exclusive)
    loaded_at           TIMESTAMP NOT NULL,     -- when the load that wrote it ran
    retired_at          TIMESTAMP               -- set when its document was retired
);

-- Files of raw/ that were not loaded, with the reason (open until the file loads or disappears).
CREATE TABLE IF NOT EXISTS rejected_documents (
    file          VARCHAR NOT NULL,             -- path relative to raw/
    doc_id        VARCHAR NOT NULL,             -- '' when the bytes were never read (too large, outside raw/)
    size_bytes    BIGINT NOT NULL,              -- size of the file
    reason        VARCHAR NOT NULL,             -- why it was not loaded
    first_seen_at TIMESTAMP NOT NULL,           -- when a load first rejected it
    resolved_at   TIMESTAMP,                    -- set once the file loads or disappears
    PRIMARY KEY (file, doc_id)
);

-- Problems of raw/manifest.csv found by the last load (line 0: the manifest as a whole).
CREATE TABLE IF NOT EXISTS manifest_problems (
    line   INTEGER NOT NULL,                    -- the manifest line (0: the file as a whole)
    file   VARCHAR NOT NULL,                    -- the file the line names
    reason VARCHAR NOT NULL                     -- what is wrong
);

-- Figures set aside by an expectation instead of loaded, with the rule and the whole row (open until resolved).
CREATE TABLE IF NOT EXISTS quarantined_figures (
    figure_id      VARCHAR NOT NULL,            -- the figure set aside
    doc_id         VARCHAR NOT NULL,            -- its document
    file           VARCHAR NOT NULL,            -- its file
    expectation    VARCHAR NOT NULL,            -- the failed expectation's name
    run_id         VARCHAR NOT NULL,            -- the run that set it aside
    quarantined_at TIMESTAMP NOT NULL,          -- when
    figure         JSON NOT NULL,               -- the whole row as it was
    PRIMARY KEY (figure_id, expectation)
);

-- One row per run of the load, with what it did and its check counts.
CREATE TABLE IF NOT EXISTS load_runs (
    run_id            VARCHAR PRIMARY KEY,      -- the Dagster run
    started_at        TIMESTAMP NOT NULL,       -- when the run started
    finished_at       TIMESTAMP,                -- when its load committed
    status            VARCHAR NOT NULL,         -- loaded / unchanged (nothing to load)
    documents_seen    INTEGER NOT NULL DEFAULT 0,
    documents_new     INTEGER NOT NULL DEFAULT 0,
    documents_changed INTEGER NOT NULL DEFAULT 0,
    documents_removed INTEGER NOT NULL DEFAULT 0,
    documents_rejected INTEGER NOT NULL DEFAULT 0,
    figures_inserted  INTEGER NOT NULL DEFAULT 0,
    figures_retired   INTEGER NOT NULL DEFAULT 0,
    figures_quarantined INTEGER NOT NULL DEFAULT 0,
    checks_passed     INTEGER,                  -- checks that passed in the run (set by qcity load)
    checks_failed     INTEGER                   -- checks that failed in the run (set by qcity load)
);
