"""Pure Polars transforms: extracted figure rows → the clean rows of fact_figure."""
from __future__ import annotations

import hashlib
import os
import uuid

import polars as pl

from warehouse.distinct import map_distinct
from extraction.models import BASIS_COLUMNS, period_parts
from warehouse.metrics import apply_context_rules, metric_id_for, metric_key_for
from warehouse.units import canonical_unit, multiplier

FIGURE_SCHEMA: dict[str, pl.DataType] = {
    "doc_id": pl.String, "file": pl.String, "doc": pl.String, "region_zh": pl.String, "region_code": pl.String,
    "period": pl.String,
    "metric_zh": pl.String, "category": pl.String, "value": pl.Float64, "value_max": pl.Float64,
    "unit_zh": pl.String, "value_canonical": pl.Float64, "qualifier": pl.String, "kind": pl.String,
    "quote": pl.String, "char_start": pl.Int64, "char_end": pl.Int64,
    **{basis: pl.String for basis in BASIS_COLUMNS},
    "sentence": pl.String, "year": pl.Int32, "period_grain": pl.String,
}

# A figure's words (the quote and its whole sentence): most of a figure's bytes, and read by no rule across
# figures, which compare values, periods and keys.
WORD_COLUMNS = ("quote", "sentence")

CLEAN_COLUMNS = [
    "figure_id", "doc_id", "file", "region_zh", "region_code", "period", "year", "period_grain", "kind", "metric_zh",
    "metric_id", "metric_key", "category", "value", "value_max", "unit_zh", "value_canonical", "value_max_canonical",
    "unit_canonical", "qualifier", "quote", "char_start", "char_end", *BASIS_COLUMNS, "sentence",
]


def figures_frame(rows: list[dict]) -> pl.DataFrame:
    """A frame of raw extracted rows with the figure schema (extra keys are dropped)."""
    cols = {name: [r.get(name) for r in rows] for name in FIGURE_SCHEMA}
    return pl.DataFrame(cols, schema=FIGURE_SCHEMA)


def write_figure_file(directory: str, rows: list[dict]) -> str:
    """Extracted figure rows as a Parquet file in `directory` (the extraction's scratch folder); its path.

    Run where the rows were extracted (a worker process: extraction.batch's `tabulate`; this module imports
    no DuckDB), so that the figures reach staging.stg_figure through DuckDB's reader and the load's process
    never holds them all: it kept ~300 MB of a 10,000-document load's figure tables after staging them
    (bench/profile.md, round 8)."""
    path = os.path.join(directory, f"figures-{uuid.uuid4().hex}.parquet")
    figures_frame(rows).write_parquet(path, compression="lz4", statistics=False)
    return path


def figure_id(doc_id: str, char_start: int, char_end: int, value: float, category: str) -> str:
    key = f"{doc_id}:{char_start}:{char_end}:{value!r}:{category}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def clean_figures(raw: pl.DataFrame) -> pl.DataFrame:
    """Types, trimmed strings, canonical units, metric ids, stable ids; one row per figure_id."""
    if raw.is_empty():
        return pl.DataFrame(schema={**_clean_schema()})
    df = raw.with_columns(
        [pl.col(c).str.strip_chars() for c in ("region_zh", "period", "metric_zh", "category", "unit_zh", "qualifier", "kind")]
    ).with_columns(pl.when(pl.col("region_code") != "").then(pl.col("region_code")).alias("region_code"),  # "": none
                   pl.col("unit_zh").fill_null(""), pl.col("metric_zh").fill_null(""),
                   # rows of an extractor that states no evidence (older CSVs, hand-made rows) say so
                   *[pl.col(b).fill_null("default") for b in BASIS_COLUMNS])
    df = map_distinct(df, ["unit_zh", "category"], canonical_unit, "unit_canonical", pl.String)
    df = map_distinct(df, ["unit_zh"], multiplier, "_mult", pl.Float64)
    df = map_distinct(df, ["metric_zh", "category"], metric_id_for, "metric_id", pl.String)
    df = map_distinct(df, ["metric_zh", "category"], metric_key_for, "metric_key", pl.String)
    # one call per row over the columns as lists: a struct per row (map_elements) costs twice as much
    keys = zip(*(df[c].to_list() for c in ("doc_id", "char_start", "char_end", "value", "category")))
    df = df.with_columns(pl.Series("figure_id", [figure_id(*key) for key in keys], dtype=pl.String))
    # the extractor stages each figure's year and grain (extraction/batch.py); rows read from a CSV have none
    df = df.with_columns([pl.lit(None, FIGURE_SCHEMA[c]).alias(c) for c in ("year", "period_grain") if c not in df.columns])
    df = map_distinct(df, ["period"], lambda period: period_parts(period)[0], "_year", pl.Int32)
    df = map_distinct(df, ["period"], lambda period: period_parts(period)[1], "_grain", pl.String)
    df = df.with_columns(pl.coalesce("year", "_year").alias("year"),
                         pl.coalesce("period_grain", "_grain").alias("period_grain"))
    df = df.with_columns((pl.col("value_max") * pl.col("_mult")).alias("value_max_canonical")).drop("_year", "_grain")
    df = df.unique(subset=["figure_id"], keep="first", maintain_order=True)
    return apply_context_rules(df).select(CLEAN_COLUMNS)


def _clean_schema() -> dict[str, pl.DataType]:
    extra = {"figure_id": pl.String, "year": pl.Int32, "period_grain": pl.String, "metric_id": pl.String,
             "metric_key": pl.String,
             "value_max_canonical": pl.Float64, "unit_canonical": pl.String}
    merged = {**FIGURE_SCHEMA, **extra}
    return {c: merged[c] for c in CLEAN_COLUMNS}
