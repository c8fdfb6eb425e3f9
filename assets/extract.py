"""Stage 2 — extract: figures of the documents that are new or changed since the last load."""

import time

from dagster import AssetExecutionContext, asset

from extraction.batch import extract_documents
from extraction.sources import RawScan
from extraction.version import EXTRACTOR_VERSION
from orchestration.resources import WarehouseResource
from warehouse import io
from warehouse.load_batch import LoadBatch
from warehouse.transforms import figures_frame


@asset(group_name="extract", kinds={"python"}, description="Figure rows (spec schema + offsets) of new and changed documents.")
def figures(context: AssetExecutionContext, raw_documents: RawScan, warehouse: WarehouseResource) -> LoadBatch:
    with warehouse.read() as con:
        active = io.active_documents(con) if con is not None else {}
    plan = io.plan_load(active, raw_documents, EXTRACTOR_VERSION)
    started = time.perf_counter()
    batch = extract_documents(plan.to_extract)
    for file, _, reason in batch.failures:
        context.log.error(f"extraction failed for {file}: {reason}")
    context.log.info(
        f"extracted {len(batch.rows)} figures from {len(plan.to_extract)} documents "
        f"({len(plan.unchanged)} unchanged, {len(plan.removed)} removed) in {time.perf_counter() - started:.2f}s"
    )
    context.add_output_metadata({
        "documents_extracted": len(plan.to_extract),
        "documents_unchanged": len(plan.unchanged),
        "documents_removed": len(plan.removed),
        "figures": len(batch.rows),
        "extraction_failures": len(batch.failures),
        "extractor_version": EXTRACTOR_VERSION,
    })
    return LoadBatch(raw_documents, plan, EXTRACTOR_VERSION, figures_frame(batch.rows), batch.regions, batch.failures)
