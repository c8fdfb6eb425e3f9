"""Row-level expectations decide which figures are quarantined instead of loaded."""
from __future__ import annotations

import polars as pl

from expectations.runner import failing_indices
from expectations.suites import FIGURE_ROW_RULES


def split_quarantine(clean: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[dict, str]]]:
    """(rows that pass every row-level rule, [(failing row, first rule it failed)])."""
    if clean.is_empty():
        return clean, []
    failed: dict[int, str] = {}
    for rule_name, positions in failing_indices(clean, FIGURE_ROW_RULES, "figures_clean").items():
        for pos in positions:
            failed.setdefault(pos, rule_name)
    if not failed:
        return clean, []
    mask = pl.Series([i not in failed for i in range(clean.height)])
    rows = clean.to_dicts()
    return clean.filter(mask), [(rows[i], rule) for i, rule in sorted(failed.items())]
