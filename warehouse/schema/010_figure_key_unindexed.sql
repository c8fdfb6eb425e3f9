-- 010: fact_figure without the index of its primary key. DuckDB keeps a primary key as an ART index that it
-- writes out again at every checkpoint after an insert: at 235,000 figures that was ~0.6 s of every load
-- however few figures it added, growing with the warehouse, and half the file. figure_id stays the key: the
-- load's MERGE matches on it, clean_figures stages one row per figure_id, and the warehouse check
-- fact_figure_figure_id_unique fails the load's checks if a duplicate ever reached the table.
-- The table is rebuilt with the same columns, types and NOT NULL constraints (DuckDB cannot drop a primary
-- key in place); the views over it select it by name and carry on.
CREATE TABLE fact_figure_unindexed (
    figure_id VARCHAR NOT NULL, doc_id VARCHAR NOT NULL, file VARCHAR NOT NULL, region_zh VARCHAR,
    period VARCHAR NOT NULL, year INTEGER, period_grain VARCHAR NOT NULL, kind VARCHAR NOT NULL, metric_zh VARCHAR,
    metric_id VARCHAR, category VARCHAR NOT NULL, value DOUBLE NOT NULL, value_max DOUBLE, unit_zh VARCHAR,
    value_canonical DOUBLE NOT NULL, value_max_canonical DOUBLE, unit_canonical VARCHAR NOT NULL,
    qualifier VARCHAR NOT NULL, quote VARCHAR NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL, retired_at TIMESTAMP, period_basis VARCHAR, region_basis VARCHAR,
    kind_basis VARCHAR, metric_key VARCHAR, sentence VARCHAR, region_code VARCHAR
);
INSERT INTO fact_figure_unindexed SELECT * FROM fact_figure ORDER BY loaded_at, figure_id;
DROP TABLE fact_figure;
ALTER TABLE fact_figure_unindexed RENAME TO fact_figure;

-- The column comments of migrations 005, 007 and 008 belong to the table they were made on: made again.
COMMENT ON COLUMN fact_figure.period_basis IS 'where the period was read (extraction.models.BASES): clause / sentence / paragraph = the figure''s own cue; section = the goals section the figure sits in; title / opening / body / dateline / url = the document context; manifest = a raw/manifest.csv correction; default = no evidence';
COMMENT ON COLUMN fact_figure.region_basis IS 'where region_zh was read; same vocabulary as period_basis';
COMMENT ON COLUMN fact_figure.kind_basis IS 'where kind (actual/target) was read; same vocabulary as period_basis';
COMMENT ON COLUMN fact_figure.metric_key IS 'normalised key of metric_zh (warehouse/metrics.py metric_key_for): Simplified, no scope/verb/year/region words, one spelling per synonym (warehouse/metric_synonyms.yaml); growth rates end in 增长';
COMMENT ON COLUMN fact_figure.sentence IS 'the sentence or table row of the raw text the quote sits in (extraction/sentences.py; at most 400 characters, cut around the quote with …); NULL for rows loaded before migration 007 until their document is extracted again';
COMMENT ON COLUMN fact_figure.region_code IS 'the division code of region_zh (dim_region), decided from the document''s context; NULL when ambiguous or not in the gazetteer';
