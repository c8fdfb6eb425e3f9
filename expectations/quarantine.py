"""Row-level and subject-fact expectations decide which figures are quarantined instead of loaded.

The decision is one Polars pass per rule family (expectations/polars_rules.py), made once in figures_clean."""
from __future__ import annotations

from functools import lru_cache

import polars as pl

from expectations.frames import COUNT_TABLES, batch_subject_frames, figure_rule_chunks
from expectations.polars_rules import failing_rows
from expectations.runner import ERROR
from expectations.suites import COUNT_RULES, FIGURE_ROW_RULES, GDP_RULES, REVENUE_RULES

QUARANTINE_RULES = [r for r in FIGURE_ROW_RULES if r.severity == ERROR]


@lru_cache(maxsize=1)
def known_region_names() -> frozenset[str]:
    """The region names dim_region will hold, current and former (the load writes the same gazetteer rows)."""
    from extraction.regions import division_rows

    return frozenset(name for r in division_rows() for name in [r["region_zh"], *r["former_names"]])


def split_quarantine(clean: pl.DataFrame, raw_texts: dict[str, str],
                     region_names: frozenset[str] | set[str] | None = None) -> tuple[pl.DataFrame, list[tuple[dict, str]]]:
    """(rows that pass every row-level ERROR rule, [(failing row, first rule it failed)])."""
    if clean.is_empty():
        return clean, []
    regions = known_region_names() if region_names is None else region_names
    failed: dict[int, str] = {}
    for offset, frame in figure_rule_chunks(clean, raw_texts, regions):
        failing = failing_rows(frame, QUARANTINE_RULES)
        for rule in QUARANTINE_RULES:  # in suite order, so a row is filed under the first rule it failed
            for pos in failing.get(rule.name, []):
                failed.setdefault(offset + pos, rule.name)
    if not failed:
        return clean, []
    positions = sorted(failed)
    rows = clean[positions].to_dicts()   # only the failing rows become Python dicts (the batch may hold 300,000)
    kept = clean.with_row_index("_row").filter(~pl.col("_row").is_in(positions)).drop("_row")
    return kept, [(row, failed[i]) for row, i in zip(rows, positions)]


# The subject-fact rules (GDP magnitude and parts, revenue ≤ GDP, whole counts) on what the load would write.
SUBJECT_FACT_RULES = (("fact_gdp", GDP_RULES), ("fact_revenue", REVENUE_RULES),
                      *((table, COUNT_RULES) for table in COUNT_TABLES))
# Setting a figure aside can change another's yardstick (a GDP total of 9.99e14 yuan hid a part above the
# next largest total): the rules run again on what is kept, a few rounds at most.
SUBJECT_FACT_ROUNDS = 3


def split_subject_quarantine(clean: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[dict, str]]]:
    """(figures whose subject-fact rows pass every subject-fact rule, [(failing figure row, rule)]).

    A figure that fails (「地区生产总值9999999亿元」, a 第二产业 above its GDP) is set aside, not its document,
    and not the load: the document's other figures and the other documents load."""
    quarantined: list[tuple[dict, str]] = []
    for _ in range(SUBJECT_FACT_ROUNDS):
        if clean.is_empty():
            break
        subject = batch_subject_frames(clean)
        failing: dict[str, str] = {}  # figure_id → the first rule its subject row failed
        for table, rules in SUBJECT_FACT_RULES:
            frame = subject.get(table)
            if frame is None or frame.is_empty():
                continue
            by_rule = failing_rows(frame, rules)
            for rule in rules:
                for figure_id in frame["figure_id"].gather(by_rule.get(rule.name, [])).to_list():
                    failing.setdefault(figure_id, rule.name)
        if not failing:
            break
        set_aside = clean["figure_id"].is_in(list(failing))
        quarantined += [(row, failing[row["figure_id"]]) for row in clean.filter(set_aside).to_dicts()]
        clean = clean.filter(~set_aside)
    return clean, quarantined


def rule_severity(rule_name: str) -> str:
    """The severity of a named rule; ERROR for a name no suite has (a rule since renamed: assume it blocks)."""
    for rule in (*FIGURE_ROW_RULES, *GDP_RULES, *REVENUE_RULES, *COUNT_RULES):
        if rule.name == rule_name:
            return rule.severity
    return ERROR
