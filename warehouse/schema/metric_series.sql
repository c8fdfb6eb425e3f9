-- Refreshes metric_series from the active figures. Run inside the load transaction, after subject_facts.sql.
-- metric_series is materialised once per load from its definition (the view metric_series_computed,
-- migrations 005, 007 and 008), in the order of the analysts' lookup (region, metric, year).
DELETE FROM metric_series;
INSERT INTO metric_series SELECT * FROM metric_series_computed ORDER BY region_zh, metric_id, year;
