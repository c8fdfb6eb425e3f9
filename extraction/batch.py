"""Extract many documents, one at a time: a failing document is recorded, the others go on."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable, Iterable

from extraction.models import Document
from extraction.sources import RawDocument


@dataclass
class ExtractedBatch:
    rows: list[dict] = field(default_factory=list)           # figure rows, with doc_id and file
    regions: dict[str, str] = field(default_factory=dict)    # doc_id → the document's region
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (file, doc_id, reason)


def _document_region(doc: Document) -> str:
    try:
        from extraction.regions import resolve_document_region
    except ImportError:
        return ""
    region = resolve_document_region(doc.text, doc.title, doc.url)
    return region.name if region else ""


def extract_documents(raw_docs: Iterable[RawDocument],
                      on_document: Callable[[str], None] | None = None) -> ExtractedBatch:
    """Figures of every document; `on_document(file)` is called after each one (progress)."""
    from extraction.engine import extract_figures

    batch = ExtractedBatch()
    for raw in raw_docs:
        doc = Document(PurePosixPath(raw.file).name, raw.text, raw.url, raw.title, raw.published)
        try:
            figures = extract_figures(doc)
            # The engine already resolved the region for its figures; only a figure-less document needs a call.
            region = figures[0].region_zh if figures else _document_region(doc)
        except Exception as exc:  # one bad document must not stop the load: record it
            batch.failures.append((raw.file, raw.doc_id, f"extractor error: {type(exc).__name__}: {exc}"))
            if on_document:
                on_document(raw.file)
            continue
        batch.regions[raw.doc_id] = region
        for fig in figures:
            row = fig.as_row()
            row.update(doc_id=raw.doc_id, file=raw.file)
            batch.rows.append(row)
        if on_document:
            on_document(raw.file)
    return batch
