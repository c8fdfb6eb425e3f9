"""The row-level rules of expectations/suites.py as Polars expressions: what decides the quarantine.

A rule is defined once, as a GX expectation (name, type, kwargs). figures_clean decides which rows to set
aside with these expressions, in one Polars pass and without importing Great Expectations; the
warehouse checks validate the loaded tables with GX itself. Each expression follows GX's semantics for
its expectation type (tests/test_row_rules.py runs both on the same frames and compares the failing rows):
a missing value (null, and NaN as pandas sees it) is skipped by every rule but a not-null one, and a
row_condition restricts the rows a rule reads.
"""
from __future__ import annotations

import re

import polars as pl

from expectations.runner import Rule

# row_condition as the suites write it (pandas syntax): `col == "text"` or `col == True`, joined by `and`
_CONDITION_TERM = re.compile(r'^\s*([A-Za-z_]\w*)\s*==\s*(?:"([^"]*)"|(True|False))\s*$')


def _missing(column: str, frame: pl.DataFrame) -> pl.Expr:
    col = pl.col(column)
    if frame.schema[column].is_float():
        return col.is_null() | col.is_nan()
    return col.is_null()


def _within(value: pl.Expr, low, high) -> pl.Expr:
    """value ≥ low and ≤ high, where each bound is given (None: unbounded)."""
    inside = pl.lit(True)
    if low is not None:
        inside = inside & (value >= low)
    if high is not None:
        inside = inside & (value <= high)
    return inside


def condition_expr(condition: str) -> pl.Expr:
    """The Polars form of a rule's row_condition (only the forms the suites use; anything else raises)."""
    expr = pl.lit(True)
    for term in condition.split(" and "):
        match = _CONDITION_TERM.match(term)
        if match is None:
            raise ValueError(f"row_condition term {term!r} is not of the form col == \"text\" or col == True")
        column, text, boolean = match.groups()
        expr = expr & (pl.col(column) == (pl.lit(text) if boolean is None else pl.lit(boolean == "True")))
    return expr.fill_null(False)


def failing_expr(rule: Rule, frame: pl.DataFrame) -> pl.Expr:
    """True on the rows of `frame` that fail `rule`."""
    kw = rule.kwargs
    kind = rule.expectation_type
    if kind == "ExpectColumnValuesToBeBetween":
        inside = _within(pl.col(kw["column"]), kw.get("min_value"), kw.get("max_value"))
        fails = ~_missing(kw["column"], frame) & ~inside
    elif kind == "ExpectColumnValuesToNotBeNull":
        fails = _missing(kw["column"], frame)
    elif kind == "ExpectColumnValuesToBeInSet":
        fails = ~_missing(kw["column"], frame) & ~pl.col(kw["column"]).is_in(list(kw["value_set"]))
    elif kind == "ExpectColumnValuesToMatchRegex":
        fails = ~_missing(kw["column"], frame) & ~pl.col(kw["column"]).cast(pl.String).str.contains(kw["regex"])
    elif kind == "ExpectColumnValueLengthsToBeBetween":
        inside = _within(pl.col(kw["column"]).str.len_chars(), kw.get("min_value"), kw.get("max_value"))
        fails = ~_missing(kw["column"], frame) & ~inside
    elif kind in ("ExpectColumnPairValuesAToBeGreaterThanB", "ExpectColumnPairValuesToBeEqual"):
        a, b = kw["column_A"], kw["column_B"]
        if kw.get("ignore_row_if") != "either_value_is_missing":
            raise ValueError(f"{rule.name}: only ignore_row_if='either_value_is_missing' is supported")
        if kind == "ExpectColumnPairValuesToBeEqual":
            holds = pl.col(a) == pl.col(b)
        else:
            holds = pl.col(a) >= pl.col(b) if kw.get("or_equal") else pl.col(a) > pl.col(b)
        fails = ~_missing(a, frame) & ~_missing(b, frame) & ~holds
    else:
        raise ValueError(f"{rule.name}: {kind} is not a row-level expectation this module evaluates")
    if kw.get("row_condition"):
        fails = condition_expr(kw["row_condition"]) & fails
    return fails.fill_null(False)


def failing_rows(frame: pl.DataFrame, rules: list[Rule]) -> dict[str, list[int]]:
    """rule name → positions of the rows of `frame` that fail it (rules no row fails are left out)."""
    if frame.is_empty():
        return {}
    flags = frame.select([failing_expr(rule, frame).alias(rule.name) for rule in rules])
    out = {}
    for rule in rules:
        positions = flags.with_row_index("_row").filter(pl.col(rule.name))["_row"].to_list()
        if positions:
            out[rule.name] = positions
    return out
