"""The expectation suites, as code. Each rule has a stable name (used in checks, alerts and quarantine)."""
from __future__ import annotations

from expectations.runner import ERROR, Rule

RATE_PERCENT_WITHIN_0_100 = "rate_percent_within_0_100"

FIGURE_ROW_RULES: list[Rule] = [
    Rule(
        RATE_PERCENT_WITHIN_0_100, ERROR, "ExpectColumnValuesToBeBetween",
        {"column": "value_canonical", "min_value": 0, "max_value": 100,
         "row_condition": 'category == "rate" and unit_canonical == "percent"', "condition_parser": "pandas"},
        "A rate in percent lies within 0–100.",
    ),
]
