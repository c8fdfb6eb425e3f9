"""Stage 3 — clean: Polars passes (some documents at a time) type the figures, canonicalise units, assign
metric ids and stable ids, and decide the quarantine; its checks report that decision."""

from collections import Counter

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, MaterializeResult,
                     MetadataValue, asset)

from assets.metadata import table_metadata
from expectations.quarantine import QUARANTINE_RULES, SUBJECT_FACT_RULES, split_quarantine, split_subject_quarantine
from orchestration.progress import log_first
from orchestration.resources import TRANSIENT_RETRY, WRITE_POOL, WarehouseResource
from warehouse import staging
from warehouse.transforms import clean_figures

QUARANTINE_SAMPLE = 20        # failing rows shown in a check's metadata
CLEAN_CHUNK_DOCUMENTS = 2_000  # documents cleaned per pass (the figures of ~2,000 documents: ~60 MB)

ROW_RULES_CHECK = "figures_clean_row_rules"
SUBJECT_FACTS_CHECK = "figures_clean_subject_facts"
_SUBJECT_RULES = [rule for _, rules in SUBJECT_FACT_RULES for rule in rules]
_SUBJECT_RULE_NAMES = list(dict.fromkeys(rule.name for rule in _SUBJECT_RULES))


def _quarantine_line(row: dict, rule: str) -> str:
    return (f"quarantined figure {row['figure_id']} ({row['file']}: {row['quote']!r}, "
            f"value {row['value']} {row['unit_zh'] or ''}) — failed {rule}")


def quarantine_check(name: str, rule_names: list[str], quarantined: list[tuple[dict, str]], rows: int) -> AssetCheckResult:
    """The check result of a quarantine decision: failed (ERROR) when it set rows aside, with counts per rule."""
    by_rule = Counter(rule for _, rule in quarantined)
    failing = [(row, rule) for row, rule in quarantined if rule in rule_names]
    metadata = {
        "rows_checked": rows,
        "quarantined_rows": len(failing),
        "failing_rows": len(failing),
        **{f"quarantined.{rule}": by_rule.get(rule, 0) for rule in rule_names},
    }
    if failing:
        metadata["sample_failing_rows"] = MetadataValue.json([
            {"expectation": rule, **{k: str(row.get(k)) for k in ("figure_id", "file", "quote", "value", "unit_zh")}}
            for row, rule in failing[:QUARANTINE_SAMPLE]])
    return AssetCheckResult(
        check_name=name, passed=not failing, severity=AssetCheckSeverity.ERROR, metadata=metadata,
        description="; ".join(f"{rule} set aside {n} rows" for rule, n in by_rule.items() if rule in rule_names) or None)


@asset(group_name="clean", kinds={"polars", "duckdb"}, retry_policy=TRANSIENT_RETRY, pool=WRITE_POOL, deps=["figures"],
       check_specs=[
           AssetCheckSpec(ROW_RULES_CHECK, asset="figures_clean",
                          description="The row-level rules (" + ", ".join(r.name for r in QUARANTINE_RULES) + ") on the "
                                      "batch: rows failing one are quarantined and the rest loads, so the check does "
                                      "not block; it fails (ERROR) when it set rows aside."),
           AssetCheckSpec(SUBJECT_FACTS_CHECK, asset="figures_clean",
                          description="The subject-fact rules (" + ", ".join(_SUBJECT_RULE_NAMES) + ") on what the load "
                                      "would write: a figure failing one is quarantined, not its document; fails "
                                      "(ERROR) when it set figures aside."),
       ],
       description="The clean figure rows in staging.stg_figure_clean (types, canonical units, metric ids, stable "
                   "ids; Polars passes over some documents at a time), and the rows set aside in "
                   "staging.stg_quarantine with the rule each failed.")
def figures_clean(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.write() as con:
        staging.require_stage(con, "figures", context.run_id)
        # Every cleaning and row rule reads one document's figures at a time (figure ids, context rules,
        # the quote at its offsets), so the batch is cleaned and staged some documents at a time: at 10,000
        # documents a pass over all of them at once held the figures two and three times over (~700 MB).
        documents = staging.staged_figure_documents(con)
        row_failures, rows = [], 0
        with staging.clean_stage(con, context.run_id) as stage:
            for start in range(0, len(documents), CLEAN_CHUNK_DOCUMENTS):
                chunk = documents[start:start + CLEAN_CHUNK_DOCUMENTS]
                clean = clean_figures(staging.staged_figures(con, doc_ids=chunk))
                rows += clean.height
                kept, failures = split_quarantine(clean, staging.staged_texts(con, doc_ids=chunk))
                stage.add(kept, failures)
                row_failures += failures
                del clean, kept
            # the subject-fact rules compare figures across documents (a GDP part with its region's total):
            # they read the values of every staged row, then set aside the whole rows that fail
            _, failing = split_subject_quarantine(stage.values())
            subject_failures = stage.set_aside({row["figure_id"]: rule for row, rule in failing})
            figures, with_metric_id = stage.counts()
        quarantined = row_failures + subject_failures
        metadata = table_metadata(con, "staging.stg_figure_clean")
    log_first(context.log.warning, quarantined, lambda aside: _quarantine_line(*aside),
              "quarantined figures (all of them: staging.stg_quarantine, then quarantined_figures)")
    by_rule = Counter(rule for _, rule in quarantined)
    return MaterializeResult(
        metadata={
            **metadata,
            "figures": figures,
            "quarantined": len(quarantined),
            **{f"quarantined.{rule}": n for rule, n in sorted(by_rule.items())},
            "with_metric_id": with_metric_id,
        },
        check_results=[
            quarantine_check(ROW_RULES_CHECK, [r.name for r in QUARANTINE_RULES], row_failures, rows),
            quarantine_check(SUBJECT_FACTS_CHECK, _SUBJECT_RULE_NAMES, subject_failures, rows - len(row_failures)),
        ],
    )
