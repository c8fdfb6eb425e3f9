"""Run a Great Expectations 1.x suite against a frame and report each expectation's result.

GX has no Polars engine and cannot read DuckDB through duckdb-engine (see notes/stack.md), so the
table is read into a frame with DuckDB/Polars and the frame is validated.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable

import polars as pl

if TYPE_CHECKING:  # pandas (and GX) load only when a suite is validated, not for the quarantine
    import pandas as pd

ERROR = "ERROR"
WARN = "WARN"
SEVERITIES = (ERROR, WARN)   # strongest first
# Columns kept beside a rule's own so that a failing row shown in a check's metadata says which figure it is.
IDENTITY_COLUMNS = ("figure_id", "doc_id", "file", "region_zh", "metric_id", "period", "quote")
_CONDITION_COLUMN = re.compile(r"\b([A-Za-z_]\w*)\s*(?:==|!=|<=|>=|<|>)")


@dataclass(frozen=True)
class Rule:
    """One named expectation with its severity. `build()` returns the GX expectation object."""

    name: str
    severity: str
    expectation_type: str
    kwargs: dict
    description: str = ""

    @property
    def columns(self) -> set[str]:
        """The frame columns the expectation reads (its column arguments and its row_condition)."""
        names = {self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs}
        names.update(self.kwargs.get("column_list", ()))
        names.update(_CONDITION_COLUMN.findall(self.kwargs.get("row_condition", "")))
        return names

    def build(self):
        import great_expectations as gx

        cls = getattr(gx.expectations, self.expectation_type)
        return cls(**self.kwargs, meta={"name": self.name, "severity": self.severity})


@dataclass
class RuleResult:
    name: str
    severity: str
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_rows: list[dict] = field(default_factory=list)
    description: str = ""


def severity_of(results: Iterable[RuleResult]) -> str | None:
    """The severity of a set of results: that of the strongest failed rule (None when every rule passed).
    The one place a check's, a suite's and `qcity check`'s severity comes from: the rules' own."""
    failed = {r.severity for r in results if not r.success}
    return next((s for s in SEVERITIES if s in failed), None)


@lru_cache(maxsize=1)
def gx_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _batch(frame: pd.DataFrame, asset_name: str):
    context = gx_context()
    try:
        source = context.data_sources.get("qcity_frames")
    except Exception:
        source = context.data_sources.add_pandas("qcity_frames")
    try:
        asset = source.get_asset(asset_name)
    except Exception:
        asset = source.add_dataframe_asset(asset_name)
    try:
        definition = asset.get_batch_definition("whole")
    except Exception:
        definition = asset.add_batch_definition_whole_dataframe("whole")
    return definition.get_batch(batch_parameters={"dataframe": frame})


def rule_columns(frame: pl.DataFrame, rules: list[Rule], keep: tuple[str, ...] = ()) -> pl.DataFrame:
    """Only the columns the rules read (plus `keep`): GX validates a pandas copy, and a wide frame of
    300,000 figures with their quotes costs hundreds of MB there."""
    wanted = set(keep).union(*(r.columns for r in rules))
    return frame.select([c for c in frame.columns if c in wanted])


def _pandas(frame: pl.DataFrame | pd.DataFrame, rules: list[Rule], keep: tuple[str, ...]) -> pd.DataFrame:
    if isinstance(frame, pl.DataFrame):
        frame = rule_columns(frame, rules, keep).to_pandas()
    return frame.reset_index(drop=True)


def validate_frame(frame: pl.DataFrame | pd.DataFrame, rules: list[Rule], asset_name: str, sample: int = 5,
                   recorder=None) -> list[RuleResult]:
    """Validate `frame` against `rules`; each result names its rule and carries sample failing rows."""
    import great_expectations as gx

    pdf = _pandas(frame, rules, IDENTITY_COLUMNS)
    if pdf.empty:
        return [RuleResult(r.name, r.severity, True, 0, 0, description=r.description) for r in rules]
    suite = gx.ExpectationSuite(name=f"{asset_name}_suite", expectations=[r.build() for r in rules])
    validation = _batch(pdf, asset_name).validate(suite, result_format={"result_format": "COMPLETE"})
    if recorder is not None:
        recorder.add(suite, validation)
    by_name = {r.name: r for r in rules}
    out = []
    for res in validation.results:
        name = res.expectation_config.meta["name"]
        rule = by_name[name]
        result = res.result or {}
        index = result.get("unexpected_index_list") or []
        rows = []
        if index and isinstance(index[0], int):
            rows = pdf.iloc[index[:sample]].astype(str).to_dict(orient="records")
        elif index:
            rows = [dict(i) if isinstance(i, dict) else {"row": str(i)} for i in index[:sample]]
        out.append(RuleResult(
            name=name, severity=rule.severity, success=bool(res.success),
            # an aggregate expectation (a mean) counts no elements: it read every row
            element_count=int(len(pdf) if result.get("element_count") is None else result["element_count"]),
            unexpected_count=int(result.get("unexpected_count") or (0 if res.success else 1)),
            unexpected_rows=rows, description=rule.description,
        ))
    order = {r.name: i for i, r in enumerate(rules)}
    return sorted(out, key=lambda r: order[r.name])


def merge_chunk_results(parts: list[list[RuleResult]], rules: list[Rule], sample: int = 5) -> list[RuleResult]:
    """The results of row-level rules validated chunk by chunk, as if validated at once: counts add up,
    a rule passes when it passed on every chunk, sample failing rows come from the first chunks."""
    merged = []
    for rule in rules:
        of_rule = [r for part in parts for r in part if r.name == rule.name]
        merged.append(RuleResult(
            name=rule.name, severity=rule.severity, success=all(r.success for r in of_rule),
            element_count=sum(r.element_count for r in of_rule),
            unexpected_count=sum(r.unexpected_count for r in of_rule),
            unexpected_rows=[row for r in of_rule for row in r.unexpected_rows][:sample],
            description=rule.description,
        ))
    return merged


def validate_chunks(chunks: Iterable[pl.DataFrame], rules: list[Rule], asset_name: str,
                    recorder=None, validate: Callable[[pl.DataFrame], list[RuleResult]] | None = None
                    ) -> tuple[list[RuleResult], int]:
    """Row-level rules over a frame built chunk by chunk (expectations/frames.py figure_rule_chunks):
    (the merged results, rows validated). Only for rules about one row at a time: a uniqueness or a mean
    rule would see one chunk only. `validate` evaluates a chunk (default: GX, recorded for the Data Docs)."""
    if validate is None:
        def validate(frame: pl.DataFrame) -> list[RuleResult]:
            return validate_frame(frame, rules, asset_name, recorder=recorder)
    parts, rows = [], 0
    for chunk in chunks:
        parts.append(validate(chunk))
        rows += chunk.height
    if not parts:
        return validate(pl.DataFrame()), 0
    return merge_chunk_results(parts, rules), rows
