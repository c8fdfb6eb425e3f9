"""Stage 3 — clean: Polars types, canonical units, metric ids, stable ids; failing rows quarantined."""

from collections import Counter

from dagster import AssetExecutionContext, asset

from expectations.quarantine import split_quarantine, split_subject_quarantine
from warehouse.load_batch import LoadBatch
from warehouse.transforms import clean_figures


@asset(group_name="clean", kinds={"polars"},
       description="Clean figure rows; rows failing a row-level or subject-fact expectation are set aside for quarantine.")
def figures_clean(context: AssetExecutionContext, figures: LoadBatch) -> LoadBatch:
    clean = clean_figures(figures.figures)
    raw_texts = {d.doc_id: d.text for d in figures.scan.documents}
    kept, row_failures = split_quarantine(clean, raw_texts)
    kept, subject_failures = split_subject_quarantine(kept)
    quarantined = row_failures + subject_failures
    for row, rule in quarantined:
        context.log.warning(f"quarantined figure {row['figure_id']} ({row['file']}: {row['quote']!r}, "
                            f"value {row['value']} {row['unit_zh'] or ''}) — failed {rule}")
    by_rule = Counter(rule for _, rule in quarantined)
    context.add_output_metadata({
        "figures": kept.height,
        "quarantined": len(quarantined),
        **{f"quarantined.{rule}": n for rule, n in sorted(by_rule.items())},
        "with_metric_id": kept.filter(kept["metric_id"].is_not_null()).height if kept.height else 0,
    })
    batch = figures.with_figures(kept)
    batch.quarantined = quarantined
    return batch
