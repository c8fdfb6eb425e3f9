-- Refreshes the subject fact tables from the active figures. Run inside the load transaction.
CREATE OR REPLACE TABLE fact_gdp AS
SELECT figure_id, doc_id, region_zh, period, year, period_grain, kind, metric_id, metric_zh,
       value_canonical AS value_yuan, unit_zh, qualifier, quote
FROM active_figure WHERE category = 'gdp' AND unit_canonical = 'yuan'
ORDER BY figure_id;

CREATE OR REPLACE TABLE fact_revenue AS
SELECT figure_id, doc_id, region_zh, period, year, period_grain, kind, metric_id, metric_zh,
       value_canonical AS value_yuan, unit_zh, qualifier, quote
FROM active_figure WHERE category = 'revenue' AND unit_canonical = 'yuan'
ORDER BY figure_id;

CREATE OR REPLACE TABLE fact_certification_count AS
SELECT figure_id, doc_id, region_zh, period, year, period_grain, kind, metric_id, metric_zh,
       value_canonical AS count, value_max_canonical AS count_max, unit_zh, qualifier, quote
FROM active_figure WHERE category = 'certification_count'
ORDER BY figure_id;

CREATE OR REPLACE TABLE fact_standard_count AS
SELECT figure_id, doc_id, region_zh, period, year, period_grain, kind, metric_id, metric_zh,
       value_canonical AS count, value_max_canonical AS count_max, unit_zh, qualifier, quote
FROM active_figure WHERE category = 'standard_count'
ORDER BY figure_id;
