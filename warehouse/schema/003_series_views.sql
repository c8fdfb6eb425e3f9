-- 003: the analyst views — the tracked time series (metric_series) and targets against it (target_progress).
-- Views over fact_figure: they follow every load without being rewritten.

-- series_figure: the active, catalogued, yearly ACTUAL figures a series is made of. A growth figure stated
-- as a decrease (下降7.1%: value 7.1, qualifier decrease) enters the series signed (−7.1).
CREATE OR REPLACE VIEW series_figure AS
SELECT f.figure_id, f.doc_id, f.file, f.region_zh, f.metric_id, f.year, f.unit_canonical, f.quote,
       CASE WHEN f.qualifier = 'decrease' THEN -f.value_canonical ELSE f.value_canonical END AS value
FROM fact_figure f
WHERE f.retired_at IS NULL AND f.kind = 'actual' AND f.period_grain = 'year'
  AND f.metric_id IS NOT NULL AND f.region_zh IS NOT NULL AND f.year IS NOT NULL;

-- metric_series: one row per region_zh × metric_id × year of actual figures.
--   region_zh, metric_id, year       the key
--   name_zh, category, unit          from dim_metric (unit: the figures' canonical unit when uncatalogued)
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
CREATE OR REPLACE VIEW metric_series AS
WITH by_value AS (
    SELECT region_zh, metric_id, year, value,
           count(DISTINCT doc_id) AS docs, count(*) AS figures
    FROM series_figure GROUP BY region_zh, metric_id, year, value
), chosen AS (
    SELECT region_zh, metric_id, year, value
    FROM by_value
    QUALIFY row_number() OVER (PARTITION BY region_zh, metric_id, year ORDER BY docs DESC, figures DESC, value) = 1
), stats AS (
    SELECT region_zh, metric_id, year,
           count(DISTINCT doc_id) AS source_count, count(*) AS figure_count,
           min(value) AS min_value, max(value) AS max_value, min(unit_canonical) AS figure_unit,
           list_sort(list(DISTINCT doc_id)) AS doc_ids, list_sort(list(figure_id)) AS figure_ids
    FROM series_figure GROUP BY region_zh, metric_id, year
), series AS (
    SELECT s.region_zh, s.metric_id, s.year, m.name_zh, m.category, coalesce(m.unit_canonical, s.figure_unit) AS unit,
           c.value, s.source_count, s.figure_count, s.min_value, s.max_value,
           (s.max_value - s.min_value) > greatest(
               0.01 * greatest(abs(s.max_value), abs(s.min_value)),
               CASE WHEN coalesce(m.unit_canonical, s.figure_unit) = 'percent' THEN 0.1 ELSE 0 END
           ) AS conflict,
           s.doc_ids, s.figure_ids
    FROM stats s
    JOIN chosen c USING (region_zh, metric_id, year)
    LEFT JOIN dim_metric m USING (metric_id)
)
SELECT cur.region_zh, cur.metric_id, cur.year, cur.name_zh, cur.category, cur.unit,
       cur.value, cur.source_count, cur.figure_count, cur.min_value, cur.max_value, cur.conflict,
       prev.value AS previous_value,
       cur.value - prev.value AS yoy_change,
       CASE WHEN cur.unit <> 'percent' AND prev.value <> 0 THEN 100 * (cur.value / prev.value - 1) END AS yoy_change_pct,
       cur.doc_ids, cur.figure_ids
FROM series cur
LEFT JOIN series prev
  ON prev.region_zh = cur.region_zh AND prev.metric_id = cur.metric_id AND prev.year = cur.year - 1;

-- target_progress: one row per active target figure, beside the latest actual of the same region × metric.
--   figure_id, doc_id, file, region_zh, metric_id, metric_zh, category, period   the target figure
--   target_year                      the year the target is for (NULL for 每年 / undated targets)
--   target_value, target_value_max   canonical units (signed: a 下降 target is negative, like the series)
--   target_qualifier                 exact / at_least / at_most / more_than / approx / range / decrease
--   unit                             canonical unit of the target
--   latest_actual_year, latest_actual_value   the latest metric_series row of the region × metric (NULL if none)
--   attained                         'yes' when the latest actual meets the target (at_most: ≤ target;
--                                    range: ≥ its lower bound; otherwise ≥ target value), 'no' when it
--                                    does not and its year is the target year or later, else 'not yet known'
--   quote                            the target's sentence
CREATE OR REPLACE VIEW target_progress AS
WITH targets AS (
    SELECT figure_id, doc_id, file, region_zh, metric_id, metric_zh, category, period,
           CASE WHEN period_grain = 'target_year' THEN year END AS target_year,
           CASE WHEN qualifier = 'decrease' THEN -value_canonical ELSE value_canonical END AS target_value,
           value_max_canonical AS target_value_max, qualifier AS target_qualifier, unit_canonical AS unit, quote
    FROM fact_figure
    WHERE retired_at IS NULL AND kind = 'target'
), latest AS (
    SELECT region_zh, metric_id, max(year) AS latest_actual_year, arg_max(value, year) AS latest_actual_value
    FROM metric_series GROUP BY region_zh, metric_id
), judged AS (
    SELECT t.*, l.latest_actual_year, l.latest_actual_value,
           CASE WHEN t.target_qualifier IN ('at_most', 'decrease') THEN l.latest_actual_value <= t.target_value
                ELSE l.latest_actual_value >= t.target_value END AS met
    FROM targets t
    LEFT JOIN latest l ON l.region_zh = t.region_zh AND l.metric_id = t.metric_id
)
SELECT figure_id, doc_id, file, region_zh, metric_id, metric_zh, category, period, target_year,
       target_value, target_value_max, target_qualifier, unit, latest_actual_year, latest_actual_value,
       CASE WHEN latest_actual_value IS NULL THEN 'not yet known'
            WHEN met THEN 'yes'
            WHEN target_year IS NOT NULL AND latest_actual_year >= target_year THEN 'no'
            ELSE 'not yet known' END AS attained,
       quote
FROM judged;
