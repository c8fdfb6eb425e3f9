"""Row-level expectations decide which figures are quarantined instead of loaded."""
from __future__ import annotations

from functools import lru_cache

import polars as pl

from expectations.frames import figure_rule_chunks
from expectations.runner import ERROR, failing_indices
from expectations.suites import FIGURE_ROW_RULES

QUARANTINE_RULES = [r for r in FIGURE_ROW_RULES if r.severity == ERROR]


@lru_cache(maxsize=1)
def known_region_names() -> frozenset[str]:
    """The region names dim_region will hold (the load writes the same gazetteer rows)."""
    from extraction.regions import gazetteer_rows

    return frozenset(r["region_zh"] for r in gazetteer_rows(unique_names=True))


def split_quarantine(clean: pl.DataFrame, raw_texts: dict[str, str],
                     region_names: frozenset[str] | set[str] | None = None) -> tuple[pl.DataFrame, list[tuple[dict, str]]]:
    """(rows that pass every row-level ERROR rule, [(failing row, first rule it failed)])."""
    if clean.is_empty():
        return clean, []
    regions = known_region_names() if region_names is None else region_names
    failed: dict[int, str] = {}
    for offset, frame in figure_rule_chunks(clean, raw_texts, regions):
        failing = failing_indices(frame, QUARANTINE_RULES, "figures_clean")
        for rule in QUARANTINE_RULES:  # in suite order, so a row is filed under the first rule it failed
            for pos in failing.get(rule.name, []):
                failed.setdefault(offset + pos, rule.name)
    if not failed:
        return clean, []
    positions = sorted(failed)
    rows = clean[positions].to_dicts()   # only the failing rows become Python dicts (the batch may hold 300,000)
    kept = clean.with_row_index("_row").filter(~pl.col("_row").is_in(positions)).drop("_row")
    return kept, [(row, failed[i]) for row, i in zip(rows, positions)]
