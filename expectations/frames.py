"""The frames the suites validate: a table's rows plus the derived columns its rules compare against.

GX validates one frame at a time, so a cross-table rule (a foreign key, "revenue not above GDP") becomes
a column computed here by a join; the rule then reads like a plain column expectation.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from typing import Iterator

import duckdb
import polars as pl

from warehouse import io
from warehouse.transforms import WORD_COLUMNS
from warehouse.units import multiplier


def figure_rule_frame(figures: pl.DataFrame, raw_texts: dict[str, str], region_names: set[str]) -> pl.DataFrame:
    """Figure rows plus `text_at_offsets` (null when the document text is unknown), `dim_region_key`
    (null when the region is not in dim_region) and `canonical_relative_error`. Built with column
    expressions: at 300,000 figures a Python object per row would cost seconds and hundreds of MB."""
    if figures.is_empty():
        return figures.with_columns(
            pl.lit(None, pl.String).alias("text_at_offsets"), pl.lit(None, pl.String).alias("dim_region_key"),
            pl.lit(None, pl.Float64).alias("canonical_relative_error"))
    texts = pl.DataFrame({"doc_id": list(raw_texts), "_text": list(raw_texts.values())},
                         schema={"doc_id": pl.String, "_text": pl.String})
    units = figures["unit_zh"].unique().to_list()
    multipliers = pl.DataFrame({"unit_zh": units, "_multiplier": [multiplier(u) for u in units]},
                               schema={"unit_zh": figures.schema["unit_zh"], "_multiplier": pl.Float64})
    start, end = pl.col("char_start"), pl.col("char_end")
    # Python's text[start:end] for offsets a slice would clamp or empty: '' (so the quote rule fails, not skips)
    valid = (start >= 0) & (end >= start)
    expected = pl.col("value") * pl.col("_multiplier")
    return (
        figures.with_row_index("_row")
        .join(texts, on="doc_id", how="left")
        .join(multipliers, on="unit_zh", how="left", nulls_equal=True)
        .sort("_row")
        .with_columns(
            pl.when(start.is_null() | end.is_null()).then(None)
            .when(valid).then(pl.col("_text").str.slice(start, end - start))
            .otherwise(pl.when(pl.col("_text").is_not_null()).then(pl.lit("")))
            .alias("text_at_offsets"),
            pl.when(pl.col("region_zh").is_in(list(region_names))).then(pl.col("region_zh")).alias("dim_region_key"),
            ((pl.col("value_canonical") - expected).abs()
             / pl.max_horizontal(expected.abs(), pl.lit(1e-9))).alias("canonical_relative_error"),
        )
        .drop("_row", "_text", "_multiplier")
    )


# Figures per rule frame when a batch is validated chunk by chunk: the rule frame (the figures, their raw
# text slice and derived columns) and GX's pandas copy of it then exist for one chunk at a time. Measured
# on the 10,000-document load (288,000 figures): peak RSS 1,600 MiB against 1,776 unchunked. Smaller
# chunks add GX's fixed cost per validation (50,000 took twice the time of one whole-frame pass).
RULE_FRAME_CHUNK = 100_000


def figure_rule_chunks(figures: pl.DataFrame, raw_texts: dict[str, str], region_names: set[str],
                       size: int | None = None) -> Iterator[tuple[int, pl.DataFrame]]:
    """(offset of the chunk's first row in `figures`, its figure_rule_frame), chunk by chunk."""
    size = size or RULE_FRAME_CHUNK
    for offset in range(0, figures.height, size):
        yield offset, figure_rule_frame(figures.slice(offset, size), raw_texts, region_names)


@dataclass
class FigureRows:
    """Figures with what their row rules compare against, validated chunk by chunk (figure_rule_chunks)."""

    figures: pl.DataFrame
    raw_texts: dict[str, str]
    region_names: set[str]

    @property
    def height(self) -> int:
        return self.figures.height

    def rule_frames(self) -> Iterator[pl.DataFrame]:
        return (frame for _, frame in figure_rule_chunks(self.figures, self.raw_texts, self.region_names))


def staged_texts_of(con: duckdb.DuckDBPyConnection, doc_ids: set[str] | None = None) -> dict[str, str]:
    """doc_id → text of the active documents (of `doc_ids`, when given) as the last scan staged them
    (staging.stg_document): the text their offsets index into, without opening raw/ again. A document whose
    file has changed since has no staged text under its doc_id: its quote rule is skipped."""
    rows = con.execute(
        """SELECT d.doc_id, any_value(s.text) FROM dim_document d JOIN staging.stg_document s ON s.doc_id = d.doc_id
           WHERE d.retired_at IS NULL GROUP BY d.doc_id""").fetchall()
    return {doc_id: text for doc_id, text in rows if doc_ids is None or doc_id in doc_ids}


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?", [name]
    ).fetchall()[0][0])


# GDP totals per region, period and kind: the yardstick for GDP parts and revenue (the largest when sources conflict).
_GDP_TOTALS = """(SELECT region_zh, period, kind, max(value_canonical) AS gdp_total_yuan FROM fact_gdp
                  WHERE metric_id = 'gdp.total' GROUP BY ALL)"""

GDP_FRAME_SQL = f"""
SELECT g.*, CASE WHEN g.metric_id IS DISTINCT FROM 'gdp.total' THEN t.gdp_total_yuan END AS gdp_total_yuan
FROM fact_gdp g LEFT JOIN {_GDP_TOTALS} t USING (region_zh, period, kind) ORDER BY g.figure_id"""

REVENUE_FRAME_SQL = f"""
SELECT r.*, t.gdp_total_yuan FROM fact_revenue r LEFT JOIN {_GDP_TOTALS} t USING (region_zh, period, kind)
ORDER BY r.figure_id"""

# Only plain counts must be whole: 1.42 件/万人 is a rate, its unit_canonical is not `count`.
COUNT_FRAME_SQL = """
SELECT c.*,
       CASE WHEN c.unit_canonical = 'count' THEN abs(c.value_canonical - round(c.value_canonical)) END AS count_distance_to_integer
FROM {table} c ORDER BY c.figure_id"""

FIGURE_INTEGRITY_SQL = """
SELECT f.figure_id, f.doc_id, f.file, f.region_zh, f.region_code, f.region_zh IS NOT NULL AS names_region, f.metric_id,
       d.doc_id AS dim_document_key,
       CASE WHEN d.retired_at IS NULL THEN d.doc_id END AS active_document_key,
       r.region_code AS dim_region_key, f.region_code IS NOT NULL AS has_region,
       m.metric_id AS dim_metric_key, f.metric_id IS NOT NULL AS has_metric_id
FROM fact_figure f
LEFT JOIN dim_document d ON d.doc_id = f.doc_id
LEFT JOIN dim_region r ON r.region_code = f.region_code
LEFT JOIN dim_metric m ON m.metric_id = f.metric_id
WHERE f.retired_at IS NULL ORDER BY f.figure_id"""

KEY_FRAME_SQL = {
    "dim_document": "SELECT doc_id, file FROM dim_document",
    "dim_region": "SELECT region_code, region_zh, level FROM dim_region",
    "dim_metric": "SELECT metric_id, category FROM dim_metric",
    "quarantined_figures": "SELECT figure_id, expectation, file, run_id FROM quarantined_figures",
}

SERIES_FRAME_SQL = "SELECT *, CAST(conflict AS INTEGER) AS conflict_flag FROM metric_series"


COUNT_TABLES = ("fact_certification_count", "fact_standard_count", "fact_brand_count", "fact_award_count")


def subject_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """fact_gdp, fact_revenue and the count tables (those that exist) with the columns their rules read."""
    frames = {
        "fact_gdp": con.sql(GDP_FRAME_SQL).pl(),
        "fact_revenue": con.sql(REVENUE_FRAME_SQL).pl(),
    }
    for table in COUNT_TABLES:
        if table_exists(con, table):
            frames[table] = con.sql(COUNT_FRAME_SQL.format(table=table)).pl()
    return frames


# The scratch warehouse of the subject-fact rules is a temporary file with a small memory limit, and its
# fact_figure keeps the table's columns and types but not its constraints (a batch is one row per figure_id
# already: clean_figures). In memory and with the primary key's index, a 10,000-document batch was the load's
# peak, ~100 MB above what it is now, and took longer (bench/profile.md, round 8).
SCRATCH_MEMORY_LIMIT = "128MB"


def batch_subject_frames(figures: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The subject frames of a batch of clean figures, before it is loaded: the batch goes into a scratch
    warehouse (same migrations, same subject_facts.sql) so the rules see what the load would write."""
    with tempfile.TemporaryDirectory(prefix="qcity-subject-rules-") as scratch:
        con = duckdb.connect(os.path.join(scratch, "batch.duckdb"), config={"memory_limit": SCRATCH_MEMORY_LIMIT})
        try:
            return _subject_frames_of(con, figures)
        finally:
            con.close()


def _subject_frames_of(con: duckdb.DuckDBPyConnection, figures: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The subject frames of `figures` written into the empty warehouse `con`."""
    io.migrate(con)
    if not figures.is_empty():
        frame = figures.with_columns(pl.lit(dt.datetime.now()).alias("loaded_at"),
                                     pl.lit(None, dtype=pl.Datetime).alias("retired_at"),
                                     # the rules read no words: '' (quote is NOT NULL), and a batch may come without them
                                     *[pl.lit("", pl.String).alias(c) for c in WORD_COLUMNS])
        con.execute("CREATE OR REPLACE TABLE fact_figure AS SELECT * FROM fact_figure LIMIT 0")
        con.register("_batch", frame)
        con.execute("INSERT INTO fact_figure BY NAME SELECT * FROM _batch")
        con.unregister("_batch")
    con.execute(io.SUBJECT_FACTS_SQL.read_text(encoding="utf-8"))
    return subject_frames(con)
