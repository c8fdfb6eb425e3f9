-- 008: regions by division code, and one naming scheme for values and units (issue 17).
--
-- Names: a column `value`, `value_max` or `unit_zh` holds a number as the document states it; the same name
-- with `_canonical` (value_canonical, value_max_canonical, unit_canonical) holds it in the canonical unit
-- (yuan, percent, count …). The series views hold canonical values only, and say so in their names
-- (target_value_canonical, actual_value_canonical …). No column is called count, unit or value_yuan.

-- One row per administrative division, keyed by its code (extraction/regions.py division_rows): the names
-- that several divisions share (鼓楼区 ×4, 朝阳区 ×2) are one row each, with their parent.
DROP TABLE IF EXISTS dim_region;
CREATE TABLE dim_region (
    region_code   VARCHAR PRIMARY KEY,         -- the administrative division code (GB/T 2260); 000000: the country
    region_zh     VARCHAR NOT NULL,            -- the division's name (its current one; a former division: its last)
    level         VARCHAR NOT NULL,            -- country / province / prefecture / county / district
    parent_code   VARCHAR,                     -- the division it belongs to (NULL for a province and the country)
    parent_zh     VARCHAR,                     -- that division's name
    province_code VARCHAR,                     -- its province (itself for a province)
    province_zh   VARCHAR,                     -- that province's name
    status        VARCHAR NOT NULL,            -- current / former (a division since merged or renamed with a new code)
    former_names  VARCHAR[] NOT NULL           -- earlier names that kept this code (海门市 for 320684 海门区)
);

-- Every full name a document can give a division, with its code: a shared name has one row per division.
--   region_zh     the name
--   region_code   the division it names (dim_region)
--   status        current / former (the name it had before)
--   divisions     how many divisions have that name: above 1, a document naming it alone is ambiguous
CREATE OR REPLACE VIEW dim_region_name AS
WITH names AS (
    SELECT region_zh, region_code, status FROM dim_region
    UNION
    SELECT unnest(former_names) AS region_zh, region_code, 'former' AS status FROM dim_region
)
SELECT region_zh, region_code, status, count(*) OVER (PARTITION BY region_zh) AS divisions
FROM names;

ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS region_code VARCHAR;
COMMENT ON COLUMN dim_document.region_code IS 'the division code of region_zh (dim_region); NULL when the name is shared by several divisions and the document does not say which (see ambiguous_region), or is not in the gazetteer';
ALTER TABLE fact_figure ADD COLUMN IF NOT EXISTS region_code VARCHAR;
COMMENT ON COLUMN fact_figure.region_code IS 'the division code of region_zh (dim_region), decided from the document''s context; NULL when ambiguous or not in the gazetteer';
ALTER TABLE staging.stg_plan ADD COLUMN IF NOT EXISTS region_code VARCHAR;
ALTER TABLE staging.stg_figure ADD COLUMN IF NOT EXISTS region_code VARCHAR;
ALTER TABLE staging.stg_figure_clean ADD COLUMN IF NOT EXISTS region_code VARCHAR;

-- The documents whose region is a name several divisions share, with nothing in the text (a parent, the
-- province, a division inside it) to say which: their figures carry region_zh but no region_code.
--   file, doc_id, region_zh          the document and the name it uses
--   candidates                       the divisions of that name: "code name (parent)"
CREATE OR REPLACE VIEW ambiguous_region AS
SELECT d.file, d.doc_id, d.region_zh,
       list_sort(list(r.region_code || ' ' || r.region_zh || ' (' || coalesce(r.parent_zh, '') || ')')) AS candidates
FROM dim_document d
JOIN dim_region_name n ON n.region_zh = d.region_zh AND n.divisions > 1
JOIN dim_region r ON r.region_code = n.region_code
WHERE d.retired_at IS NULL AND d.region_code IS NULL
GROUP BY d.file, d.doc_id, d.region_zh;

-- active_figure selects * : recreated so that it carries the new column.
CREATE OR REPLACE VIEW active_figure AS
SELECT * FROM fact_figure WHERE retired_at IS NULL;

-- series_figure: the active yearly actuals that build series, with the key of their series.
--   value_canonical   value_canonical signed (a 下降 figure is negative); see fact_figure for the other columns
CREATE OR REPLACE VIEW series_figure AS
SELECT f.figure_id, f.doc_id, f.file, f.region_zh, f.region_code, f.metric_id,
       CASE WHEN f.metric_id IS NULL THEN f.metric_key END AS metric_key, f.category,
       coalesce(f.metric_id, 'key:' || f.category || ':' || f.metric_key) AS series_key,
       f.metric_id IS NOT NULL AS catalogued, f.year, f.unit_canonical, f.quote,
       CASE WHEN f.qualifier = 'decrease' THEN -f.value_canonical ELSE f.value_canonical END AS value_canonical,
       f.sentence
FROM fact_figure f
WHERE f.retired_at IS NULL AND f.kind = 'actual' AND f.period_grain = 'year'
  AND (f.metric_id IS NOT NULL OR (coalesce(f.metric_key, '') <> '' AND NOT starts_with(f.metric_key, '~')))
  AND f.region_zh IS NOT NULL AND f.year IS NOT NULL;

-- metric_series_computed (the definition of the table metric_series): one row per region × series × year
-- of actual figures.
--   region_zh, region_code, series_key, year   the key (region_code NULL: an ambiguous or unknown region, by name)
--   metric_id                        the catalogue id; NULL for an uncatalogued series
--   metric_key                       the key of an uncatalogued series; NULL for a catalogued one
--   catalogued                       FALSE for a series grouped by metric_key alone
--   name_zh, category, unit_canonical   from dim_metric (uncatalogued: metric_key, the figures' category and unit)
--   value_canonical                  the value most documents state (ties: most figures, then the smaller)
--   source_count                     number of distinct documents stating a figure for the key
--   figure_count                     number of figures for the key
--   min_value_canonical, max_value_canonical   across all those figures
--   conflict                         TRUE when max − min exceeds the tolerance: 1% of the larger magnitude,
--                                    and at least 0.1 point for percent metrics (rounding is not a conflict)
--   previous_value_canonical         the value of year − 1, when that row exists
--   yoy_change                       value − previous value, in unit_canonical (growth metrics: percentage points)
--   yoy_change_pct                   100 × (value / previous value − 1), for non-percent metrics
--   doc_ids, files, figure_ids       the sources, sorted (metric_series_source lists them with their sentences)
DROP TABLE IF EXISTS metric_series;
CREATE OR REPLACE VIEW metric_series_computed AS
WITH by_value AS (
    SELECT region_zh, region_code, series_key, metric_id, metric_key, catalogued, year, value_canonical,
           count(DISTINCT doc_id) AS docs, count(*) AS figures
    FROM series_figure GROUP BY ALL
), chosen AS (
    SELECT region_zh, region_code, series_key, metric_id, year, value_canonical
    FROM by_value
    QUALIFY row_number() OVER (PARTITION BY region_zh, region_code, series_key, metric_id, year
                               ORDER BY docs DESC, figures DESC, value_canonical) = 1
), stats AS (
    SELECT region_zh, region_code, series_key, metric_id, metric_key, catalogued, year, min(category) AS figure_category,
           count(DISTINCT doc_id) AS source_count, count(*) AS figure_count,
           min(value_canonical) AS min_value, max(value_canonical) AS max_value, min(unit_canonical) AS figure_unit,
           list_sort(list(DISTINCT doc_id)) AS doc_ids, list_sort(list(DISTINCT file)) AS files,
           list_sort(list(figure_id)) AS figure_ids
    FROM series_figure GROUP BY region_zh, region_code, series_key, metric_id, metric_key, catalogued, year
), series AS (
    SELECT s.region_zh, s.region_code, s.series_key, s.metric_id, s.metric_key, s.catalogued, s.year,
           coalesce(m.name_zh, s.metric_key) AS name_zh, coalesce(m.category, s.figure_category) AS category,
           coalesce(m.unit_canonical, s.figure_unit) AS unit_canonical,
           c.value_canonical, s.source_count, s.figure_count, s.min_value, s.max_value,
           (s.max_value - s.min_value) > greatest(
               0.01 * greatest(abs(s.max_value), abs(s.min_value)),
               CASE WHEN coalesce(m.unit_canonical, s.figure_unit) = 'percent' THEN 0.1 ELSE 0 END
           ) AS conflict,
           s.doc_ids, s.files, s.figure_ids
    FROM stats s
    JOIN chosen c ON c.region_zh = s.region_zh AND c.region_code IS NOT DISTINCT FROM s.region_code
                 AND c.series_key = s.series_key AND c.metric_id IS NOT DISTINCT FROM s.metric_id AND c.year = s.year
    LEFT JOIN dim_metric m ON m.metric_id = s.metric_id
), with_previous AS (
    -- the year before from the same series (a window, not a self-join: the view stays one pipeline, so a
    -- filter on region_zh and metric_id reaches series_figure)
    SELECT *, lag(year) OVER w AS previous_year, lag(value_canonical) OVER w AS lag_value
    FROM series
    WINDOW w AS (PARTITION BY region_zh, region_code, series_key, metric_id ORDER BY year)
)
SELECT region_zh, region_code, metric_id, year, name_zh, category, unit_canonical,
       value_canonical, source_count, figure_count, min_value AS min_value_canonical,
       max_value AS max_value_canonical, conflict,
       CASE WHEN previous_year = year - 1 THEN lag_value END AS previous_value_canonical,
       CASE WHEN previous_year = year - 1 THEN value_canonical - lag_value END AS yoy_change,
       CASE WHEN previous_year = year - 1 AND unit_canonical <> 'percent' AND lag_value <> 0
            THEN 100 * (value_canonical / lag_value - 1) END AS yoy_change_pct,
       doc_ids, files, figure_ids, series_key, metric_key, catalogued
FROM with_previous;

-- One row per region × series × year of actual figures: the value most documents state, its sources and
-- whether they conflict (columns: the view metric_series_computed). Refreshed by every load.
CREATE TABLE metric_series AS SELECT * FROM metric_series_computed ORDER BY region_zh, metric_id, year;

-- target_figure: every active target with the series key it is judged against (as series_figure's).
--   target_value_canonical, target_value_max_canonical   the target in unit_canonical (signed: 下降 is negative)
CREATE OR REPLACE VIEW target_figure AS
SELECT figure_id, doc_id, file, region_zh, region_code, metric_id, metric_key, metric_zh, category, period,
       coalesce(metric_id, 'key:' || category || ':' || metric_key) AS series_key,
       CASE WHEN period_grain = 'target_year' THEN year END AS target_year,
       CASE WHEN qualifier = 'decrease' THEN -value_canonical ELSE value_canonical END AS target_value_canonical,
       value_max_canonical AS target_value_max_canonical, qualifier AS target_qualifier, unit_canonical, quote, sentence
FROM fact_figure
WHERE retired_at IS NULL AND kind = 'target';

-- target_progress: one row per active DATED target (target:YYYY) beside the actual of the same region and
-- series (metric_id, else metric_key) in the target year.
--   figure_id, doc_id, file, region_zh, region_code, metric_id, metric_key, metric_zh, category, period   the target figure
--   series_key                       the series the target is judged against (see series_figure)
--   target_year                      the year the target is for
--   target_value_canonical, target_value_max_canonical   in unit_canonical (signed: a 下降 target is negative, like the series)
--   target_qualifier                 exact / at_least / at_most / more_than / approx / range / decrease
--   unit_canonical                   canonical unit of the target
--   actual_year, actual_value_canonical   the metric_series row of the target year (NULL when not reported)
--   latest_actual_year, latest_actual_value_canonical   the latest metric_series row of the series (for context)
--   attained                         'yes' when the target year's actual meets the target (at_most and
--                                    decrease: ≤ target; range: ≥ its lower bound; otherwise ≥ target),
--                                    'no' when it does not, 'pending' when the target year has no actual
--   quote, sentence                  the target's quote and the sentence it sits in
CREATE OR REPLACE VIEW target_progress AS
WITH series AS (
    SELECT region_zh, region_code, series_key, year, value_canonical,
           max(year) OVER (PARTITION BY region_zh, region_code, series_key) AS latest_actual_year,
           arg_max(value_canonical, year) OVER (PARTITION BY region_zh, region_code, series_key) AS latest_actual_value
    FROM metric_series
    WHERE (region_zh, series_key) IN (SELECT region_zh, series_key FROM target_figure)
), latest AS (
    SELECT DISTINCT region_zh, region_code, series_key, latest_actual_year, latest_actual_value FROM series
)
SELECT t.figure_id, t.doc_id, t.file, t.region_zh, t.region_code, t.metric_id, t.metric_key, t.metric_zh, t.category,
       t.period, t.series_key, t.target_year, t.target_value_canonical, t.target_value_max_canonical,
       t.target_qualifier, t.unit_canonical,
       a.year AS actual_year, a.value_canonical AS actual_value_canonical, l.latest_actual_year,
       l.latest_actual_value AS latest_actual_value_canonical,
       CASE WHEN a.value_canonical IS NULL THEN 'pending'
            WHEN t.target_qualifier IN ('at_most', 'decrease') AND a.value_canonical <= t.target_value_canonical THEN 'yes'
            WHEN t.target_qualifier NOT IN ('at_most', 'decrease') AND a.value_canonical >= t.target_value_canonical THEN 'yes'
            ELSE 'no' END AS attained,
       t.quote, t.sentence
FROM target_figure t
LEFT JOIN series a ON a.region_zh = t.region_zh AND a.region_code IS NOT DISTINCT FROM t.region_code
                  AND a.series_key = t.series_key AND a.year = t.target_year
LEFT JOIN latest l ON l.region_zh = t.region_zh AND l.region_code IS NOT DISTINCT FROM t.region_code
                  AND l.series_key = t.series_key
WHERE t.target_year IS NOT NULL;

-- undated_targets: the targets without a year (每年, target:unknown), listed apart from target_progress
-- beside the latest actual of their series; they get no verdict.
--   latest_actual_year, latest_actual_value_canonical   the latest metric_series row of the series
CREATE OR REPLACE VIEW undated_targets AS
SELECT t.figure_id, t.doc_id, t.file, t.region_zh, t.region_code, t.metric_id, t.metric_key, t.metric_zh, t.category,
       t.period, t.series_key, t.target_value_canonical, t.target_value_max_canonical, t.target_qualifier,
       t.unit_canonical, l.year AS latest_actual_year, l.value_canonical AS latest_actual_value_canonical,
       t.quote, t.sentence
FROM target_figure t
LEFT JOIN (SELECT * FROM metric_series
           QUALIFY row_number() OVER (PARTITION BY region_zh, region_code, series_key ORDER BY year DESC) = 1) l
  ON l.region_zh = t.region_zh AND l.region_code IS NOT DISTINCT FROM t.region_code AND l.series_key = t.series_key
WHERE t.target_year IS NULL;

-- metric_series_source: each metric_series row's sources, one row per figure: the file, quote and sentence
-- behind a value.
--   series_value_canonical   the series' value (metric_series.value_canonical)
--   value_canonical          this figure's value (signed, as series_figure)
CREATE OR REPLACE VIEW metric_series_source AS
SELECT s.region_zh, s.region_code, s.metric_id, s.series_key, s.year, s.value_canonical AS series_value_canonical,
       s.conflict, f.value_canonical, f.file, f.doc_id, f.figure_id, f.quote, f.sentence
FROM metric_series s
JOIN series_figure f ON f.region_zh = s.region_zh AND f.region_code IS NOT DISTINCT FROM s.region_code
                    AND f.series_key = s.series_key AND f.year = s.year;
