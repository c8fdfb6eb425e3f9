-- 005: the evidence behind each figure's period, region and kind (issue 13), its metric_key (issue 14), and
-- the series and target views rebuilt on them. Rows loaded before this migration keep NULL in the new
-- columns until their document is extracted again.

COMMENT ON COLUMN dim_region.level IS 'country (全国, the region of a document about the whole country) / province / prefecture / county / district';

ALTER TABLE fact_figure ADD COLUMN IF NOT EXISTS period_basis VARCHAR;
ALTER TABLE fact_figure ADD COLUMN IF NOT EXISTS region_basis VARCHAR;
ALTER TABLE fact_figure ADD COLUMN IF NOT EXISTS kind_basis VARCHAR;
ALTER TABLE fact_figure ADD COLUMN IF NOT EXISTS metric_key VARCHAR;

COMMENT ON COLUMN fact_figure.period_basis IS 'where the period was read (extraction.models.BASES): clause / sentence / paragraph = the figure''s own cue; section = the goals section the figure sits in; title / opening / body / dateline / url = the document context; manifest = a raw/manifest.csv correction; default = no evidence';
COMMENT ON COLUMN fact_figure.region_basis IS 'where region_zh was read; same vocabulary as period_basis';
COMMENT ON COLUMN fact_figure.kind_basis IS 'where kind (actual/target) was read; same vocabulary as period_basis';
COMMENT ON COLUMN fact_figure.metric_key IS 'normalised key of metric_zh (warehouse/metrics.py metric_key_for): Simplified, no scope/verb/year/region words, one spelling per synonym (warehouse/metric_synonyms.yaml); growth rates end in 增长';

-- active_figure selects * : recreated so that it carries the new columns.
CREATE OR REPLACE VIEW active_figure AS
SELECT * FROM fact_figure WHERE retired_at IS NULL;

-- series_figure: the active yearly ACTUAL figures a series is made of, catalogued or not. A growth figure
-- stated as a decrease (下降7.1%) enters the series signed (−7.1).
--   series_key   metric_id when catalogued, else 'key:<category>:<metric_key>' (an uncatalogued series
--                never mixes categories: 产量 in 吨 and 产量增长 in % are two series)
--   metric_key   the figure's key when uncatalogued (NULL for a catalogued one)
--   catalogued   metric_id IS NOT NULL (an uncatalogued figure whose key is ~<category>, naming nothing, joins no series)
CREATE OR REPLACE VIEW series_figure AS
SELECT f.figure_id, f.doc_id, f.file, f.region_zh, f.metric_id,
       CASE WHEN f.metric_id IS NULL THEN f.metric_key END AS metric_key, f.category,
       coalesce(f.metric_id, 'key:' || f.category || ':' || f.metric_key) AS series_key,
       f.metric_id IS NOT NULL AS catalogued, f.year, f.unit_canonical, f.quote,
       CASE WHEN f.qualifier = 'decrease' THEN -f.value_canonical ELSE f.value_canonical END AS value
FROM fact_figure f
WHERE f.retired_at IS NULL AND f.kind = 'actual' AND f.period_grain = 'year'
  AND (f.metric_id IS NOT NULL OR (coalesce(f.metric_key, '') <> '' AND NOT starts_with(f.metric_key, '~')))
  AND f.region_zh IS NOT NULL AND f.year IS NOT NULL;

-- metric_series: one row per region_zh × series_key × year of actual figures.
--   region_zh, series_key, year      the key
--   metric_id                        the catalogue id; NULL for an uncatalogued series
--   metric_key                       the key of an uncatalogued series; NULL for a catalogued one
--   catalogued                       FALSE for a series grouped by metric_key alone
--   name_zh, category, unit          from dim_metric (uncatalogued: metric_key, the figures' category and unit)
--   value                            the value most documents state (ties: most figures, then the smaller)
--   source_count                     number of distinct documents stating a figure for the key
--   figure_count                     number of figures for the key
--   min_value, max_value             across all those figures
--   conflict                         TRUE when max − min exceeds the tolerance: 1% of the larger magnitude,
--                                    and at least 0.1 point for percent metrics (rounding is not a conflict)
--   previous_value                   the value of year − 1, when that row exists
--   yoy_change                       value − previous_value (for growth metrics: percentage points)
--   yoy_change_pct                   100 × (value / previous_value − 1), for non-percent metrics
--   doc_ids, figure_ids              the sources, sorted
-- metric_id, metric_key and category follow from series_key; they are grouped on too, so that a filter on
-- region_zh and metric_id reaches series_figure before any aggregate (the analysts' lookup).
CREATE OR REPLACE VIEW metric_series AS
WITH by_value AS (
    SELECT region_zh, series_key, metric_id, metric_key, catalogued, year, value,
           count(DISTINCT doc_id) AS docs, count(*) AS figures
    FROM series_figure GROUP BY ALL
), chosen AS (
    SELECT region_zh, series_key, metric_id, year, value
    FROM by_value
    QUALIFY row_number() OVER (PARTITION BY region_zh, series_key, metric_id, year ORDER BY docs DESC, figures DESC, value) = 1
), stats AS (
    SELECT region_zh, series_key, metric_id, metric_key, catalogued, year, min(category) AS figure_category,
           count(DISTINCT doc_id) AS source_count, count(*) AS figure_count,
           min(value) AS min_value, max(value) AS max_value, min(unit_canonical) AS figure_unit,
           list_sort(list(DISTINCT doc_id)) AS doc_ids, list_sort(list(figure_id)) AS figure_ids
    FROM series_figure GROUP BY region_zh, series_key, metric_id, metric_key, catalogued, year
), series AS (
    SELECT s.region_zh, s.series_key, s.metric_id, s.metric_key, s.catalogued, s.year,
           coalesce(m.name_zh, s.metric_key) AS name_zh, coalesce(m.category, s.figure_category) AS category,
           coalesce(m.unit_canonical, s.figure_unit) AS unit,
           c.value, s.source_count, s.figure_count, s.min_value, s.max_value,
           (s.max_value - s.min_value) > greatest(
               0.01 * greatest(abs(s.max_value), abs(s.min_value)),
               CASE WHEN coalesce(m.unit_canonical, s.figure_unit) = 'percent' THEN 0.1 ELSE 0 END
           ) AS conflict,
           s.doc_ids, s.figure_ids
    FROM stats s
    JOIN chosen c ON c.region_zh = s.region_zh AND c.series_key = s.series_key AND c.metric_id IS NOT DISTINCT FROM s.metric_id
                 AND c.year = s.year
    LEFT JOIN dim_metric m ON m.metric_id = s.metric_id
), with_previous AS (
    -- the year before from the same series (a window, not a self-join: the view stays one pipeline, so a
    -- filter on region_zh and metric_id reaches series_figure)
    SELECT *, lag(year) OVER w AS previous_year, lag(value) OVER w AS lag_value
    FROM series
    WINDOW w AS (PARTITION BY region_zh, series_key, metric_id ORDER BY year)
)
SELECT region_zh, metric_id, year, name_zh, category, unit,
       value, source_count, figure_count, min_value, max_value, conflict,
       CASE WHEN previous_year = year - 1 THEN lag_value END AS previous_value,
       CASE WHEN previous_year = year - 1 THEN value - lag_value END AS yoy_change,
       CASE WHEN previous_year = year - 1 AND unit <> 'percent' AND lag_value <> 0
            THEN 100 * (value / lag_value - 1) END AS yoy_change_pct,
       doc_ids, figure_ids, series_key, metric_key, catalogued
FROM with_previous;

-- target_figure: every active target with the series key it is judged against (as series_figure's).
CREATE OR REPLACE VIEW target_figure AS
SELECT figure_id, doc_id, file, region_zh, metric_id, metric_key, metric_zh, category, period,
       coalesce(metric_id, 'key:' || category || ':' || metric_key) AS series_key,
       CASE WHEN period_grain = 'target_year' THEN year END AS target_year,
       CASE WHEN qualifier = 'decrease' THEN -value_canonical ELSE value_canonical END AS target_value,
       value_max_canonical AS target_value_max, qualifier AS target_qualifier, unit_canonical AS unit, quote
FROM fact_figure
WHERE retired_at IS NULL AND kind = 'target';

-- target_progress: one row per active DATED target (target:YYYY) beside the actual of the same region and
-- series (metric_id, else metric_key) in the target year.
--   figure_id, doc_id, file, region_zh, metric_id, metric_key, metric_zh, category, period   the target figure
--   series_key                       the series the target is judged against (see series_figure)
--   target_year                      the year the target is for
--   target_value, target_value_max   canonical units (signed: a 下降 target is negative, like the series)
--   target_qualifier                 exact / at_least / at_most / more_than / approx / range / decrease
--   unit                             canonical unit of the target
--   actual_year, actual_value        the metric_series row of the target year (NULL when not reported)
--   latest_actual_year, latest_actual_value   the latest metric_series row of the series (for context)
--   attained                         'yes' when the target year's actual meets the target (at_most and
--                                    decrease: ≤ target; range: ≥ its lower bound; otherwise ≥ target),
--                                    'no' when it does not, 'pending' when the target year has no actual
--   quote                            the target's sentence
CREATE OR REPLACE VIEW target_progress AS
WITH series AS (
    SELECT region_zh, series_key, year, value,
           max(year) OVER (PARTITION BY region_zh, series_key) AS latest_actual_year,
           arg_max(value, year) OVER (PARTITION BY region_zh, series_key) AS latest_actual_value
    FROM metric_series
    WHERE (region_zh, series_key) IN (SELECT region_zh, series_key FROM target_figure)
), latest AS (
    SELECT DISTINCT region_zh, series_key, latest_actual_year, latest_actual_value FROM series
)
SELECT t.figure_id, t.doc_id, t.file, t.region_zh, t.metric_id, t.metric_key, t.metric_zh, t.category, t.period,
       t.series_key, t.target_year, t.target_value, t.target_value_max, t.target_qualifier, t.unit,
       a.year AS actual_year, a.value AS actual_value, l.latest_actual_year, l.latest_actual_value,
       CASE WHEN a.value IS NULL THEN 'pending'
            WHEN t.target_qualifier IN ('at_most', 'decrease') AND a.value <= t.target_value THEN 'yes'
            WHEN t.target_qualifier NOT IN ('at_most', 'decrease') AND a.value >= t.target_value THEN 'yes'
            ELSE 'no' END AS attained,
       t.quote
FROM target_figure t
LEFT JOIN series a ON a.region_zh = t.region_zh AND a.series_key = t.series_key AND a.year = t.target_year
LEFT JOIN latest l ON l.region_zh = t.region_zh AND l.series_key = t.series_key
WHERE t.target_year IS NOT NULL;

-- undated_targets: the targets without a year (每年, target:unknown), listed apart from target_progress
-- beside the latest actual of their series; they get no verdict.
CREATE OR REPLACE VIEW undated_targets AS
SELECT t.figure_id, t.doc_id, t.file, t.region_zh, t.metric_id, t.metric_key, t.metric_zh, t.category, t.period,
       t.series_key, t.target_value, t.target_value_max, t.target_qualifier, t.unit,
       l.year AS latest_actual_year, l.value AS latest_actual_value, t.quote
FROM target_figure t
LEFT JOIN (SELECT * FROM metric_series QUALIFY row_number() OVER (PARTITION BY region_zh, series_key ORDER BY year DESC) = 1) l
  ON l.region_zh = t.region_zh AND l.series_key = t.series_key
WHERE t.target_year IS NULL;
