"""Stage 1 — ingest: the raw folder as documents (bytes, sha256, decoded text, manifest metadata)."""

from dagster import AssetExecutionContext, MetadataValue, asset

from extraction.sources import RawScan, scan_raw_folder
from orchestration.resources import RawFolderResource


@asset(group_name="ingest", kinds={"python"}, description="Every file of raw/: decoded text, sha256, manifest metadata; rejects with reasons.")
def raw_documents(context: AssetExecutionContext, raw_folder: RawFolderResource) -> RawScan:
    scan = scan_raw_folder(raw_folder.path, raw_folder.max_bytes)
    for r in scan.rejected:
        context.log.warning(f"rejected {r.file}: {r.reason}")
    for p in scan.manifest_problems:
        context.log.warning(f"manifest line {p.line} ({p.file}): {p.reason}")
    context.add_output_metadata({
        "documents": len(scan.documents),
        "rejected": len(scan.rejected),
        "manifest_problems": len(scan.manifest_problems),
        "rejects": MetadataValue.md(
            "\n".join(f"- `{r.file}`: {r.reason}" for r in scan.rejected) or "none"
        ),
    })
    return scan
