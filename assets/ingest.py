"""Stage 1 — ingest: the raw folder into staging.stg_document (decoded text, sha256, manifest metadata),
each file read at most once; rejects and manifest problems with their reasons."""

import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.metadata import table_metadata
from extraction.sources import scan_raw_folder
from extraction.version import EXTRACTOR_VERSION
from orchestration.progress import NAMED_IN_LOG, log_first
from orchestration.resources import STAGING_TABLES, TRANSIENT_RETRY, WRITE_POOL, RawFolderResource, WarehouseResource
from warehouse import staging


@asset(group_name="ingest", kinds={"duckdb"}, retry_policy=TRANSIENT_RETRY, pool=WRITE_POOL,
       description="Every file of raw/ staged in DuckDB (staging.stg_document): its decoded text, sha256, "
                   "encoding and manifest metadata. A file unchanged since the last scan (same size, mtime, "
                   "ctime and inode) is not opened again. Rejected files and manifest problems, with reasons, "
                   "in staging.stg_rejected and staging.stg_manifest_problem.")
def raw_documents(context: AssetExecutionContext, raw_folder: RawFolderResource,
                  warehouse: WarehouseResource) -> MaterializeResult:
    started = time.perf_counter()
    with warehouse.write() as con:
        scan = scan_raw_folder(raw_folder.path, raw_folder.max_bytes, known=staging.known_files(con, EXTRACTOR_VERSION))
        counts = staging.stage_scan(con, scan, context.run_id, EXTRACTOR_VERSION)
        metadata = table_metadata(con, "staging.stg_document")
    log_first(context.log.warning, scan.rejected, lambda r: f"rejected {r.file}: {r.reason}",
              "rejected files (all of them: rejected_documents)")
    log_first(context.log.warning, scan.manifest_problems,
              lambda p: f"manifest line {p.line} ({p.file}): {p.reason}" + (" — row skipped" if p.line > 0 else ""),
              "manifest problems (all of them: manifest_problems)")
    context.log.info(
        f"ingest: {counts.documents} documents ({counts.read} read, {counts.reused} unchanged since the last scan), "
        f"{counts.rejected} rejected, {counts.manifest_problems} manifest problems "
        f"in {time.perf_counter() - started:.2f}s"
    )
    return MaterializeResult(metadata={
        **metadata,
        "documents": counts.documents,
        "files_read": counts.read,
        "files_unchanged": counts.reused,
        "rejected": counts.rejected,
        "manifest_problems": counts.manifest_problems,
        "staging_tables": MetadataValue.md(", ".join(f"`{t}`" for t in STAGING_TABLES["raw_documents"])),
        "rejects": MetadataValue.md("\n".join([f"- `{r.file}`: {r.reason}" for r in scan.rejected[:NAMED_IN_LOG]]
                                              + ([f"- … and {len(scan.rejected) - NAMED_IN_LOG} more"]
                                                 if len(scan.rejected) > NAMED_IN_LOG else [])) or "none"),
    })
