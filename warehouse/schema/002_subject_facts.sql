-- 002: the design card's subject fact tables, one row per active figure of the subject.
-- Rebuilt from fact_figure inside every load transaction (see warehouse/io.py).

CREATE OR REPLACE VIEW active_figure AS
SELECT * FROM fact_figure WHERE retired_at IS NULL;
