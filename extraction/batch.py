"""Extract many documents: a failing document is recorded, the others go on.

A large batch (a first load of thousands of documents) is spread over worker processes — extraction is
pure CPU-bound Python, so one process uses one core; QCITY_EXTRACT_WORKERS sets the number (1: none).
Results are merged in document order, so the batch is the same either way.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable

from extraction.models import Document
from extraction.sources import RawDocument

PARALLEL_MIN_DOCUMENTS = 400  # below this, starting workers (each loads the lexicons) costs more than it saves
CHUNK_DOCUMENTS = 100


@dataclass
class ExtractedBatch:
    rows: list[dict] = field(default_factory=list)           # figure rows, with doc_id and file
    regions: dict[str, str] = field(default_factory=dict)    # doc_id → the document's region
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (file, doc_id, reason)
    tables: list[Any] = field(default_factory=list)          # the rows tabulated per chunk (see extract_documents)


def _document_region(doc: Document) -> str:
    try:
        from extraction.regions import resolve_document_region
    except ImportError:
        return ""
    region = resolve_document_region(doc.text, doc.title, doc.url)
    return region.name if region else ""


def extract_documents(raw_docs: Iterable[RawDocument], on_document: Callable[[str], None] | None = None,
                      tabulate: Callable[[list[dict]], Any] | None = None) -> ExtractedBatch:
    """Figures of every document; `on_document(file)` is called after each one (progress).

    `tabulate` (a picklable function of a list of rows, e.g. to a DataFrame): the rows of each chunk are
    tabulated where they were extracted and come back in `tables`, in document order, with `rows` empty —
    so the parent never holds a dict per figure (about 1.2 KB each: 350 MB for 300,000 figures)."""
    docs = list(raw_docs)
    workers = extraction_workers(len(docs))
    if workers <= 1:
        return _extract_sequential(docs, on_document, tabulate)
    chunks = [docs[i:i + CHUNK_DOCUMENTS] for i in range(0, len(docs), CHUNK_DOCUMENTS)]
    batch = ExtractedBatch()
    # spawn, not fork: the parent (Dagster) runs threads, and a forked child could inherit a held lock
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_extract_sequential, chunk, None, tabulate) for chunk in chunks]
        for chunk, future in zip(chunks, futures):
            try:
                part = future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory): do its share here
                part = _extract_sequential(chunk, None, tabulate)
            _merge(batch, part)
            if on_document:
                for raw in chunk:
                    on_document(raw.file)
    return batch


def extraction_workers(documents: int) -> int:
    """Worker processes for a batch of `documents`: QCITY_EXTRACT_WORKERS, else one per core; 1 for small batches."""
    setting = os.environ.get("QCITY_EXTRACT_WORKERS", "").strip()
    try:
        wanted = int(setting) if setting else _usable_cores()
    except ValueError:
        raise ValueError(f"QCITY_EXTRACT_WORKERS must be a whole number, not {setting!r}") from None
    return 1 if documents < PARALLEL_MIN_DOCUMENTS else max(1, wanted)


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _merge(batch: ExtractedBatch, part: ExtractedBatch) -> None:
    batch.rows.extend(part.rows)
    batch.tables.extend(part.tables)
    batch.regions.update(part.regions)
    batch.failures.extend(part.failures)


def _extract_sequential(raw_docs: Iterable[RawDocument], on_document: Callable[[str], None] | None = None,
                        tabulate: Callable[[list[dict]], Any] | None = None) -> ExtractedBatch:
    from extraction.engine import extract_figures

    batch = ExtractedBatch()
    for raw in raw_docs:
        doc = Document(PurePosixPath(raw.file).name, raw.text, raw.url, raw.title, raw.published,
                       raw.region_override, raw.year_override)
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
    if tabulate is not None:
        batch.tables, batch.rows = [tabulate(batch.rows)], []
    return batch
