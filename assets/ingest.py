"""Stage 1 — ingest: the raw folder as documents (bytes, sha256, decoded text, manifest metadata)."""

import time

from dagster import AssetExecutionContext, MetadataValue, asset

from extraction.sources import RawScan, scan_raw_folder
from orchestration.jobs import TRANSIENT_RETRY
from orchestration.resources import RawFolderResource


@asset(group_name="ingest", kinds={"python"}, retry_policy=TRANSIENT_RETRY,
       description="Every file of raw/: decoded text, sha256, manifest metadata; rejects with reasons.")
def raw_documents(context: AssetExecutionContext, raw_folder: RawFolderResource) -> RawScan:
    started = time.perf_counter()
    scan = scan_raw_folder(raw_folder.path, raw_folder.max_bytes)
    for r in scan.rejected:
        context.log.warning(f"rejected {r.file}: {r.reason}")
    for p in scan.manifest_problems:
        context.log.warning(f"manifest line {p.line} ({p.file}): {p.reason}" + (" — row skipped" if p.line > 0 else ""))
    context.log.info(
        f"ingest: {len(scan.documents)} documents read, {len(scan.rejected)} rejected, "
        f"{len(scan.manifest_problems)} manifest problems in {time.perf_counter() - started:.2f}s"
    )
    context.add_output_metadata({
        "documents": len(scan.documents),
        "rejected": len(scan.rejected),
        "manifest_problems": len(scan.manifest_problems),
        "rejects": MetadataValue.md(
            "\n".join(f"- `{r.file}`: {r.reason}" for r in scan.rejected) or "none"
        ),
    })
    return scan
