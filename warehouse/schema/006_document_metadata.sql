-- 006: a document's manifest metadata is part of what was extracted, and a quarantine ends.
-- metadata_sha256: sha256 of the manifest metadata the extractor read (url, title, published, region_zh,
--   year; extraction/sources.py RawDocument.metadata_fingerprint). A changed manifest row re-extracts its
--   document. Documents loaded before this migration keep NULL, so the next load re-extracts them once.
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS metadata_sha256 VARCHAR;
-- resolved_at: set when the quarantined figure's document is re-extracted without it (a corrected file,
--   manifest row or extractor) or leaves the warehouse (changed, removed). Rows are kept; NULL = open.
ALTER TABLE quarantined_figures ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMP;
