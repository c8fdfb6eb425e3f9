-- Refreshes the subject fact tables from the active figures. Run inside the load transaction, before
-- metric_series.sql; the subject-fact rules run it alone on a batch before it is loaded (expectations/frames.py).
-- Every subject table has fact_figure's value and unit columns: value, value_max and unit_zh as stated,
-- value_canonical, value_max_canonical and unit_canonical in the canonical unit (migration 008).

-- GDP figures (category gdp) in yuan (unit_canonical): totals and the value added of sectors.
CREATE OR REPLACE TABLE fact_gdp AS SELECT * FROM fact_gdp_computed ORDER BY figure_id;

-- Fiscal revenue figures (category revenue) in yuan.
CREATE OR REPLACE TABLE fact_revenue AS SELECT * FROM fact_revenue_computed ORDER BY figure_id;

-- Counts of certifications (category certification_count).
CREATE OR REPLACE TABLE fact_certification_count AS SELECT * FROM fact_certification_count_computed ORDER BY figure_id;

-- Counts of standards made or revised (category standard_count).
CREATE OR REPLACE TABLE fact_standard_count AS SELECT * FROM fact_standard_count_computed ORDER BY figure_id;

-- Counts of brands and trademarks (category brand_count).
CREATE OR REPLACE TABLE fact_brand_count AS SELECT * FROM fact_brand_count_computed ORDER BY figure_id;

-- Counts of quality awards (category award_count).
CREATE OR REPLACE TABLE fact_award_count AS SELECT * FROM fact_award_count_computed ORDER BY figure_id;

-- Shares, pass rates, coverage and satisfaction rates (percent or index points); not growth rates.
CREATE OR REPLACE TABLE fact_rate AS SELECT * FROM fact_rate_computed ORDER BY figure_id;
