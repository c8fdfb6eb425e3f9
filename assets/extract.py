"""Stage 2 — extract: figures of the documents that are new or changed since the last load."""

import dataclasses
import time

import polars as pl
from dagster import AssetExecutionContext, Config, asset
from pydantic import Field

from extraction.batch import extract_documents
from extraction.sources import RawScan
from extraction.version import EXTRACTOR_VERSION
from orchestration.jobs import TRANSIENT_RETRY
from orchestration.progress import document_progress
from orchestration.resources import WarehouseResource
from warehouse import io
from warehouse.load_batch import LoadBatch
from warehouse.transforms import figures_frame


class FiguresConfig(Config):
    only_files: list[str] | None = Field(
        default=None,
        description="Extract only these raw/ files (the sensor's added/changed files, or `qcity load --only`). "
                    "Unset: every new or changed document. Removed files are retired either way.",
    )
    pick_up_unloaded: bool = Field(
        default=True,
        description="With only_files: also extract the other new or changed documents (left unloaded by an earlier "
                    "run that failed), so that a sensor run catches up. `qcity load --only` sets it false.",
    )


def restrict_plan(plan: io.LoadPlan, only_files: list[str] | None,
                  pick_up_unloaded: bool = False) -> tuple[io.LoadPlan, list[str]]:
    """The plan limited to `only_files` (other new/changed documents wait for a later run), and the
    requested files that are neither new nor changed. None, or `pick_up_unloaded`: the plan unchanged."""
    if only_files is None:
        return plan, []
    if pick_up_unloaded:
        return plan, sorted(set(only_files) - {d.file for d in plan.to_extract})
    wanted = set(only_files)
    restricted = dataclasses.replace(
        plan,
        new=[d for d in plan.new if d.file in wanted],
        changed=[d for d in plan.changed if d.file in wanted],
    )
    idle = sorted(wanted - {d.file for d in restricted.to_extract})
    return restricted, idle


@asset(group_name="extract", kinds={"python"}, retry_policy=TRANSIENT_RETRY,
       description="Figure rows (spec schema + offsets) of new and changed documents.")
def figures(context: AssetExecutionContext, config: FiguresConfig, raw_documents: RawScan,
            warehouse: WarehouseResource) -> LoadBatch:
    with warehouse.read() as con:
        active = io.active_documents(con) if con is not None else {}
    plan, idle = restrict_plan(io.plan_load(active, raw_documents, EXTRACTOR_VERSION), config.only_files,
                               config.pick_up_unloaded)
    if config.only_files is not None and config.pick_up_unloaded:
        unlisted = sorted({d.file for d in plan.to_extract} - set(config.only_files))
        if unlisted:
            context.log.warning(f"also extracting {len(unlisted)} new or changed documents an earlier run left "
                                f"unloaded: {', '.join(unlisted[:10])}{' …' if len(unlisted) > 10 else ''}")
    for file in idle:
        context.log.warning(f"--only {file}: not a new or changed readable document in raw/; nothing to extract")
    started = time.perf_counter()
    with document_progress(len(plan.to_extract), "extracting", context.log.info) as advance:
        batch = extract_documents(plan.to_extract, advance, tabulate=figures_frame)
    for file, _, reason in batch.failures:
        context.log.error(f"extraction failed for {file}: {reason}")
    frame = pl.concat(batch.tables) if batch.tables else figures_frame([])
    context.log.info(
        f"extract: {frame.height} figures from {len(plan.to_extract)} documents "
        f"({len(plan.unchanged)} unchanged, {len(plan.removed)} removed, {len(batch.failures)} failed) "
        f"in {time.perf_counter() - started:.2f}s"
    )
    context.add_output_metadata({
        "documents_extracted": len(plan.to_extract),
        "documents_unchanged": len(plan.unchanged),
        "documents_removed": len(plan.removed),
        "figures": frame.height,
        "extraction_failures": len(batch.failures),
        "extractor_version": EXTRACTOR_VERSION,
        "only_files": "all" if config.only_files is None else len(config.only_files),
    })
    return LoadBatch(raw_documents, plan, EXTRACTOR_VERSION, frame, batch.regions, batch.failures)

