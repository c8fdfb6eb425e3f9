"""The rules of expectations/suites.py evaluated with Polars: what decides the quarantine and what a load's
checks report.

A rule is defined once, as a GX expectation (name, type, kwargs). figures_clean decides which rows to set
aside with these expressions, and a load's warehouse checks evaluate their suites with `evaluate_frame`,
in Polars and without importing Great Expectations (its import alone costs seconds); `qcity check` and the
validation job after each scheduled load validate the same suites with GX itself and write its Data Docs.
Each form follows GX's semantics for its expectation type (tests/test_expectations.py runs both engines
on the same frames and compares every result): a missing value (null, and NaN as pandas sees it) is
skipped by every rule but a not-null one, a row_condition restricts the rows a rule reads, and a
compound key whose columns are all missing is not compared.
"""
from __future__ import annotations

import re

import polars as pl

from expectations.runner import IDENTITY_COLUMNS, Rule, RuleResult, rule_columns

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
    elif kind == "ExpectColumnValuesToBeUnique":
        fails = ~_missing(kw["column"], frame) & pl.col(kw["column"]).is_duplicated()
    elif kind == "ExpectCompoundColumnsToBeUnique":
        columns = list(kw["column_list"])
        if kw.get("ignore_row_if", "all_values_are_missing") != "all_values_are_missing":
            raise ValueError(f"{rule.name}: only ignore_row_if='all_values_are_missing' is supported")
        compared = ~pl.all_horizontal([_missing(c, frame) for c in columns])
        # duplicates among the compared rows only (rows of all-missing keys are skipped, not equal to each other)
        fails = compared & pl.struct(columns).is_duplicated().over(compared)
    else:
        raise ValueError(f"{rule.name}: {kind} is not an expectation about rows this module evaluates")
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


# Expectations about a whole column rather than each row: a verdict, no failing rows.
_AGGREGATE_TYPES = ("ExpectColumnMeanToBeBetween",)


def _aggregate_success(rule: Rule, frame: pl.DataFrame) -> bool:
    kw = rule.kwargs
    present = frame.filter(~_missing(kw["column"], frame))[kw["column"]]
    mean = present.mean() if present.len() else None
    if mean is None:
        return False   # GX: the mean of no values is NaN, which no bound admits
    return (kw.get("min_value") is None or mean >= kw["min_value"]) and (kw.get("max_value") is None or mean <= kw["max_value"])


def evaluate_frame(frame: pl.DataFrame, rules: list[Rule], sample: int = 5) -> list[RuleResult]:
    """The results GX's validation of `frame` gives (expectations/runner.py validate_frame), from Polars:
    per rule its success, the rows it read (those its row_condition admits), the failing rows and a sample
    of them with the row's identity columns."""
    if frame.is_empty():
        return [RuleResult(r.name, r.severity, True, 0, 0, description=r.description) for r in rules]
    by_row = [r for r in rules if r.expectation_type not in _AGGREGATE_TYPES]
    flags = frame.select(
        [failing_expr(r, frame).alias(f"fails.{r.name}") for r in by_row]
        + [(condition_expr(r.kwargs["row_condition"]).sum() if r.kwargs.get("row_condition") else pl.len())
           .alias(f"reads.{r.name}") for r in by_row])
    shown = rule_columns(frame, rules, IDENTITY_COLUMNS)
    out = []
    for rule in rules:
        if rule.expectation_type in _AGGREGATE_TYPES:
            success = _aggregate_success(rule, frame)
            out.append(RuleResult(rule.name, rule.severity, success, frame.height, 0 if success else 1,
                                  description=rule.description))
            continue
        failing = flags.select(pl.arg_where(pl.col(f"fails.{rule.name}")))
        positions = failing.to_series().to_list()
        rows = [{k: str(v) for k, v in row.items()} for row in shown[positions[:sample]].to_dicts()]
        out.append(RuleResult(rule.name, rule.severity, not positions, int(flags[f"reads.{rule.name}"][0]),
                              len(positions), unexpected_rows=rows, description=rule.description))
    return out
