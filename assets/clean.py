"""Stage 3 — clean: Polars types, canonical units, metric ids, stable ids; failing rows quarantined."""

from dagster import AssetExecutionContext, asset

from expectations.quarantine import split_quarantine
from warehouse.load_batch import LoadBatch
from warehouse.transforms import clean_figures


@asset(group_name="clean", kinds={"polars"}, description="Clean figure rows; rows failing a row-level expectation are set aside for quarantine.")
def figures_clean(context: AssetExecutionContext, figures: LoadBatch) -> LoadBatch:
    clean = clean_figures(figures.figures)
    kept, quarantined = split_quarantine(clean)
    for row, rule in quarantined:
        context.log.warning(f"quarantined figure {row['figure_id']} ({row['file']}: {row['quote']!r}) — failed {rule}")
    context.add_output_metadata({
        "figures": kept.height,
        "quarantined": len(quarantined),
        "with_metric_id": kept.filter(kept["metric_id"].is_not_null()).height if kept.height else 0,
    })
    batch = figures.with_figures(kept)
    batch.quarantined = quarantined
    return batch
