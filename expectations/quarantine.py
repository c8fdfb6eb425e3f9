"""Row-level expectations decide which figures are quarantined instead of loaded."""
from __future__ import annotations

from functools import lru_cache

import polars as pl

from expectations.frames import figure_rule_frame
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
    frame = figure_rule_frame(clean, raw_texts, regions)
    failed: dict[int, str] = {}
    failing = failing_indices(frame, QUARANTINE_RULES, "figures_clean")
    for rule in QUARANTINE_RULES:  # in suite order, so a row is filed under the first rule it failed
        for pos in failing.get(rule.name, []):
            failed.setdefault(pos, rule.name)
    if not failed:
        return clean, []
    mask = pl.Series([i not in failed for i in range(clean.height)])
    rows = clean.to_dicts()
    return clean.filter(mask), [(rows[i], rule) for i, rule in sorted(failed.items())]
