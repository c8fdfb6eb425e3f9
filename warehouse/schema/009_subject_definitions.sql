-- 009: each subject fact table's definition as a view (fact_gdp_computed …), the way metric_series is
-- materialised from metric_series_computed. A load refreshes a subject table from its view: whole
-- (subject_facts.sql: the first load, the subject-fact rules' scratch warehouse) or for the documents the load
-- wrote or retired only (subject_facts_for_documents.sql), so that a small load does not rewrite them all.

-- fact_gdp_computed: the rows of fact_gdp (subject_facts.sql describes them).
CREATE OR REPLACE VIEW fact_gdp_computed AS
SELECT figure_id, doc_id, file, region_zh, region_code, period, year, period_grain, kind, metric_id, metric_zh,
       value, value_max, unit_zh, value_canonical, value_max_canonical, unit_canonical, qualifier, quote, sentence
FROM active_figure WHERE category = 'gdp' AND unit_canonical = 'yuan';

-- fact_revenue_computed: the rows of fact_revenue (subject_facts.sql describes them).
CREATE OR REPLACE VIEW fact_revenue_computed AS
SELECT figure_id, doc_id, file, region_zh, region_code, period, year, period_grain, kind, metric_id, metric_zh,
       value, value_max, unit_zh, value_canonical, value_max_canonical, unit_canonical, qualifier, quote, sentence
FROM active_figure WHERE category = 'revenue' AND unit_canonical = 'yuan';

-- fact_certification_count_computed: the rows of fact_certification_count (subject_facts.sql describes them).
CREATE OR REPLACE VIEW fact_certification_count_computed AS
SELECT figure_id, doc_id, file, region_zh, region_code, period, year, period_grain, kind, metric_id, metric_zh,
       value, value_max, unit_zh, value_canonical, value_max_canonical, unit_canonical, qualifier, quote, sentence
FROM active_figure WHERE category = 'certification_count';

-- fact_standard_count_computed: the rows of fact_standard_count (subject_facts.sql describes them).
CREATE OR REPLACE VIEW fact_standard_count_computed AS
SELECT figure_id, doc_id, file, region_zh, region_code, period, year, period_grain, kind, metric_id, metric_zh,
       value, value_max, unit_zh, value_canonical, value_max_canonical, unit_canonical, qualifier, quote, sentence
FROM active_figure WHERE category = 'standard_count';

-- fact_brand_count_computed: the rows of fact_brand_count (subject_facts.sql describes them).
CREATE OR REPLACE VIEW fact_brand_count_computed AS
SELECT figure_id, doc_id, file, region_zh, region_code, period, year, period_grain, kind, metric_id, metric_zh,
       value, value_max, unit_zh, value_canonical, value_max_canonical, unit_canonical, qualifier, quote, sentence
FROM active_figure WHERE category = 'brand_count';

-- fact_award_count_computed: the rows of fact_award_count (subject_facts.sql describes them).
CREATE OR REPLACE VIEW fact_award_count_computed AS
SELECT figure_id, doc_id, file, region_zh, region_code, period, year, period_grain, kind, metric_id, metric_zh,
       value, value_max, unit_zh, value_canonical, value_max_canonical, unit_canonical, qualifier, quote, sentence
FROM active_figure WHERE category = 'award_count';

-- fact_rate_computed: the rows of fact_rate (subject_facts.sql describes them).
CREATE OR REPLACE VIEW fact_rate_computed AS
SELECT figure_id, doc_id, file, region_zh, region_code, period, year, period_grain, kind, metric_id, metric_zh,
       value, value_max, unit_zh, value_canonical, value_max_canonical, unit_canonical, qualifier, quote, sentence
FROM active_figure WHERE category = 'rate';

-- The definitions the subject tables were last refreshed whole from: an md5 of the views' SQL (the *_computed
-- views and active_figure). A load refreshes them for its documents only while the definitions are the same;
-- a migration that changes one makes the next load refresh them whole.
CREATE TABLE subject_definitions_applied (
    definitions_md5 VARCHAR NOT NULL   -- md5 of the definitions' SQL text, in view-name order
);
