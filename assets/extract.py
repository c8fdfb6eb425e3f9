"""Stage 2 — extract: figures of the documents that are new or changed since the last load, staged in DuckDB."""

import dataclasses
import datetime as dt
import functools
import tempfile
import time

from dagster import AssetExecutionContext, Config, MaterializeResult, asset
from pydantic import Field

from assets.metadata import table_metadata
from extraction.batch import extract_documents
from extraction.regions import division_rows
from extraction.version import EXTRACTOR_VERSION
from orchestration.progress import document_progress
from orchestration.resources import TRANSIENT_RETRY, WRITE_POOL, WarehouseResource, run_trigger_of_tags
from warehouse import io, staging
from warehouse.transforms import write_figure_file


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


def plan_rows(plan: io.LoadPlan, active: dict[str, dict], failures: list[tuple[str, str, str]]) -> list[tuple]:
    """(file, doc_id, action, reason) of every file the plan names: what the load does with it."""
    failed = {doc_id: reason for _, doc_id, reason in failures}
    rows = [(d.file, d.doc_id, staging.FAILED if d.doc_id in failed else action, failed.get(d.doc_id))
            for action, docs in ((staging.NEW, plan.new), (staging.CHANGED, plan.changed)) for d in docs]
    rows += [(d.file, d.doc_id, staging.UNCHANGED, None) for d in plan.unchanged]
    rows += [(file, active[file]["doc_id"], staging.REMOVED, None) for file in plan.removed]
    rows += [(r.file, r.doc_id, staging.DUPLICATE, r.reason) for r in plan.duplicates]
    return rows


@asset(group_name="extract", kinds={"duckdb"}, retry_policy=TRANSIENT_RETRY, pool=WRITE_POOL, deps=["raw_documents"],
       output_required=False,
       description="The figure rows (spec columns, offsets, evidence) of the documents that are new or changed "
                   "since the last load, in staging.stg_figure, and the load plan (what happens to each file) in "
                   "staging.stg_plan. Texts are read from staging.stg_document. When nothing is to load, "
                   "the asset is not materialized and the stages after it do not run.")
def figures(context: AssetExecutionContext, config: FiguresConfig, warehouse: WarehouseResource):
    started_at = dt.datetime.now()
    with warehouse.write() as con:
        staging.require_stage(con, "raw_documents", context.run_id)
        scan = staging.staged_scan(con)
        active = io.active_documents(con)
        plan, idle = restrict_plan(io.plan_load(active, scan, EXTRACTOR_VERSION), config.only_files,
                                   config.pick_up_unloaded)
        if config.only_files is not None and config.pick_up_unloaded:
            unlisted = sorted({d.file for d in plan.to_extract} - set(config.only_files))
            if unlisted:
                context.log.warning(f"also extracting {len(unlisted)} new or changed documents an earlier run left "
                                    f"unloaded: {', '.join(unlisted[:10])}{' …' if len(unlisted) > 10 else ''}")
        for file in idle:
            context.log.warning(f"--only {file}: not a new or changed readable document in raw/; nothing to extract")
        if io.nothing_to_load(con, plan, scan, division_rows()):
            io.record_unchanged_run(con, context.run_id, len(scan.documents) + len(scan.rejected), started_at,
                                    run_trigger_of_tags(context.run.tags))
            context.log.info(f"extract: nothing to load ({len(plan.unchanged)} documents unchanged since the last "
                             f"load, the same rejects and manifest problems): the stages after this one do not run")
            return
        to_extract = staging.with_texts(con, plan.to_extract)
    timer = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qcity-figures-") as scratch:
        with document_progress(len(to_extract), "extracting", context.log.info) as advance:
            batch = extract_documents(to_extract, advance,
                                      tabulate=functools.partial(write_figure_file, scratch))
        del to_extract
        for file, _, reason in batch.failures:
            context.log.error(f"extraction failed for {file}: {reason}")
        extracted_in = time.perf_counter() - timer
        with warehouse.write() as con:
            figure_count = staging.stage_extraction(con, context.run_id, plan_rows(plan, active, batch.failures),
                                                    batch.regions, batch.tables)
            metadata = table_metadata(con, "staging.stg_figure")
    context.log.info(
        f"extract: {figure_count} figures from {len(plan.to_extract)} documents "
        f"({len(plan.unchanged)} unchanged, {len(plan.removed)} removed, {len(batch.failures)} failed) "
        f"in {extracted_in:.2f}s"
    )
    yield MaterializeResult(asset_key="figures", metadata={
        **metadata,
        "documents_extracted": len(plan.to_extract),
        "documents_unchanged": len(plan.unchanged),
        "documents_removed": len(plan.removed),
        "figures": figure_count,
        "extraction_failures": len(batch.failures),
        "extractor_version": EXTRACTOR_VERSION,
        "only_files": "all" if config.only_files is None else len(config.only_files),
    })
