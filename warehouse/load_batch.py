"""What travels from the raw folder to the load transaction: the scan, the plan and the figures."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl

from extraction.sources import RawScan
from warehouse.io import LoadPlan


@dataclass
class LoadBatch:
    scan: RawScan
    plan: LoadPlan
    extractor_version: str
    figures: pl.DataFrame
    regions: dict[str, str] = field(default_factory=dict)
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    quarantined: list[tuple[dict, str]] = field(default_factory=list)  # (clean row, failed expectation)

    def with_figures(self, figures: pl.DataFrame) -> "LoadBatch":
        return replace(self, figures=figures)
