"""Run a Great Expectations 1.x suite against a frame and report each expectation's result.

GX has no Polars engine and cannot read DuckDB through duckdb-engine (see notes/stack.md), so the
table is read into a frame with DuckDB/Polars and the frame is validated.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
import polars as pl

ERROR = "ERROR"
WARN = "WARN"


@dataclass(frozen=True)
class Rule:
    """One named expectation with its severity. `build()` returns the GX expectation object."""

    name: str
    severity: str
    expectation_type: str
    kwargs: dict
    description: str = ""

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


def validate_frame(frame: pl.DataFrame | pd.DataFrame, rules: list[Rule], asset_name: str, sample: int = 5,
                   recorder=None) -> list[RuleResult]:
    """Validate `frame` against `rules`; each result names its rule and carries sample failing rows."""
    import great_expectations as gx

    pdf = frame.to_pandas() if isinstance(frame, pl.DataFrame) else frame
    pdf = pdf.reset_index(drop=True)
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
            element_count=int(result.get("element_count") or len(pdf)),
            unexpected_count=int(result.get("unexpected_count") or (0 if res.success else 1)),
            unexpected_rows=rows, description=rule.description,
        ))
    order = {r.name: i for i, r in enumerate(rules)}
    return sorted(out, key=lambda r: order[r.name])


def failing_indices(frame: pl.DataFrame, rules: list[Rule], asset_name: str) -> dict[str, list[int]]:
    """Row positions that fail each row-level rule (for quarantine)."""
    import great_expectations as gx

    pdf = frame.to_pandas().reset_index(drop=True)
    if pdf.empty:
        return {}
    suite = gx.ExpectationSuite(name=f"{asset_name}_rows", expectations=[r.build() for r in rules])
    validation = _batch(pdf, asset_name).validate(suite, result_format={"result_format": "COMPLETE"})
    out = {}
    for res in validation.results:
        index = (res.result or {}).get("unexpected_index_list") or []
        ints = [i for i in index if isinstance(i, int)]
        if ints:
            out[res.expectation_config.meta["name"]] = ints
    return out
