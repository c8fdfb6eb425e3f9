"""Extract many documents: a failing document is recorded, the others go on.

A large batch (a first load of thousands of documents) is spread over worker processes — extraction is
pure CPU-bound Python, so one process uses one core; QCITY_EXTRACT_WORKERS sets the number (1: none).
Results are merged in document order, so the batch is the same either way.

Each document runs under a time budget (QCITY_DOC_SECONDS, default 20 s): a document over it is recorded
as a failure with the reason, and the batch goes on. The budget is a SIGALRM interval timer, which only the
main thread of a process can set; the in-process load and every worker process extract in their main
thread. Called from another thread, the batch runs in worker processes, so that the budget still holds.
"""
from __future__ import annotations

import os
import signal
import threading
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Iterator

from extraction.models import Document, Figure, period_parts
from extraction.sentences import Sentences
from extraction.sources import RawDocument

PARALLEL_MIN_DOCUMENTS = 400  # below this, starting workers (each loads the lexicons) costs more than it saves
# Each worker holds ~100 MB (its imports and lexicons): a 10,000-document load peaked at 742 MiB over its
# extraction with four workers and at 1,119 MiB with eight, so the default stops growing with the machine at four.
DEFAULT_MAX_WORKERS = 4
CHUNK_DOCUMENTS = 100
DOC_SECONDS_ENV = "QCITY_DOC_SECONDS"
DEFAULT_DOC_SECONDS = 20.0
_PROJECT_ROOT = Path(__file__).resolve().parents[1]

Extractor = Callable[[Document], list[Figure]]


@dataclass
class ExtractedBatch:
    rows: list[dict] = field(default_factory=list)           # figure rows, with doc_id and file
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)  # doc_id → the document's (region, code)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (file, doc_id, reason)
    tables: list[Any] = field(default_factory=list)          # the rows tabulated per chunk (see extract_documents)


class DocumentOverBudget(BaseException):
    """Raised by the budget timer inside a document's extraction. A BaseException, so that no
    `except Exception` of a rule swallows it."""


def document_seconds() -> float:
    """The per-document time budget: QCITY_DOC_SECONDS (seconds, > 0), default 20."""
    setting = os.environ.get(DOC_SECONDS_ENV, "").strip()
    try:
        seconds = float(setting) if setting else DEFAULT_DOC_SECONDS
    except ValueError:
        raise ValueError(f"{DOC_SECONDS_ENV} must be a number of seconds, not {setting!r}") from None
    if not seconds > 0:
        raise ValueError(f"{DOC_SECONDS_ENV} must be above 0, not {setting!r}")
    return seconds


def _can_time_here() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Raise DocumentOverBudget in this (main) thread once `seconds` have passed."""
    def over(signum, frame):
        raise DocumentOverBudget

    previous = signal.signal(signal.SIGALRM, over)
    # Repeats every 50 ms after the budget: an exception raised inside a garbage-collector callback or a
    # __del__ is printed and dropped by Python, so one alarm alone can be lost.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _document_region(doc: Document) -> tuple[str, str]:
    """(region, division code) of a document, "" where there is none (the code: also where it is ambiguous)."""
    from extraction.context import document_region  # decided as for the figures (manifest, URL, 我国 → 全国)
    from extraction.regions import division_code

    region = document_region(doc)
    return (region.name, division_code(region) or "") if region else ("", "")


def _region_of(doc: Document, figures: list[Figure]) -> tuple[str, str]:
    # The engine resolved the document's region for its figures (a figure whose own clause names a wider
    # region, 全省为, is not the document's); only a document without such a figure needs a call.
    own = next((f for f in figures if f.region_basis != "clause"), None)
    return (own.region_zh, own.region_code) if own else _document_region(doc)


# Extracted once per process before the budget applies: the first call loads the lexicons and the gazetteer
# (about a second), which is no document's own time.
_WARM_UP = Document("warm-up.txt", "海门市2020年上半年完成地区生产总值410亿元,同比增长8.8%。")
_warmed_up: set[int] = set()


def _warm_up(extractor: Extractor) -> None:
    if id(extractor) in _warmed_up:
        return
    _warmed_up.add(id(extractor))
    try:
        extractor(_WARM_UP)
        _document_region(_WARM_UP)
    except Exception:  # an extractor that fails here fails on the documents too, where it is recorded
        pass


def _default_extractor(doc: Document) -> list[Figure]:
    from extraction.engine import extract_figures

    return extract_figures(doc)


def extract_documents(raw_docs: Iterable[RawDocument], on_document: Callable[[str], None] | None = None,
                      tabulate: Callable[[list[dict]], Any] | None = None,
                      extractor: Extractor | None = None) -> ExtractedBatch:
    """Figures of every document; `on_document(file)` is called after each one (progress).

    `tabulate` (a picklable function of a list of rows, e.g. to a DataFrame): the rows of each chunk are
    tabulated where they were extracted and come back in `tables`, in document order, with `rows` empty —
    so the parent never holds a dict per figure (about 1.2 KB each: 350 MB for 300,000 figures).
    `extractor` (a picklable function Document → figures): the rules to run, extraction.engine.extract_figures
    unless given."""
    docs = list(raw_docs)
    extractor = extractor or _default_extractor
    seconds = document_seconds()
    workers = extraction_workers(len(docs))
    if workers <= 1 and _can_time_here():
        return _extract_sequential(docs, on_document, tabulate, extractor, seconds)
    chunks = [docs[i:i + CHUNK_DOCUMENTS] for i in range(0, len(docs), CHUNK_DOCUMENTS)]
    batch = ExtractedBatch()
    # spawn, not fork: the parent (Dagster) runs threads, and a forked child could inherit a held lock
    pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=get_context("spawn"))
    try:
        futures = [pool.submit(_extract_sequential, chunk, None, tabulate, extractor, seconds) for chunk in chunks]
        for chunk, future in zip(chunks, futures):
            try:
                part = future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory): do its share here, if we can time it
                part = _extract_sequential(chunk, None, tabulate, extractor, seconds) if _can_time_here() \
                    else _failed(chunk, "extractor worker process died; retry with `qcity load --only FILE`")
            _merge(batch, part)
            if on_document:
                for raw in chunk:
                    on_document(raw.file)
    except BaseException:  # interrupted (SIGTERM, Ctrl-C) or failed: the workers end with the batch
        _end_workers(pool)
        raise
    pool.shutdown()
    return batch


def _end_workers(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle on the workers
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)


def _failed(chunk: list[RawDocument], reason: str) -> ExtractedBatch:
    return ExtractedBatch(failures=[(raw.file, raw.doc_id, reason) for raw in chunk])


def extraction_workers(documents: int) -> int:
    """Worker processes for a batch of `documents`: QCITY_EXTRACT_WORKERS, else default_workers; 1 for small batches."""
    setting = os.environ.get("QCITY_EXTRACT_WORKERS", "").strip()
    try:
        wanted = int(setting) if setting else default_workers(_usable_cores())
    except ValueError:
        raise ValueError(f"QCITY_EXTRACT_WORKERS must be a whole number, not {setting!r}") from None
    return 1 if documents < PARALLEL_MIN_DOCUMENTS else max(1, wanted)


def default_workers(cores: int) -> int:
    """One worker per core, at most DEFAULT_MAX_WORKERS."""
    return max(1, min(cores, DEFAULT_MAX_WORKERS))


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _merge(batch: ExtractedBatch, part: ExtractedBatch) -> None:
    batch.rows.extend(part.rows)
    batch.tables.extend(part.tables)
    batch.regions.update(part.regions)
    batch.failures.extend(part.failures)


def error_reason(exc: BaseException) -> str:
    """`extractor error: Type: message at file:line (function)`, the innermost frame of the traceback."""
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        path = Path(last.filename)
        try:
            path = path.resolve().relative_to(_PROJECT_ROOT)
        except ValueError:
            pass
        where = f" at {path.as_posix()}:{last.lineno} ({last.name})"
    return f"extractor error: {type(exc).__name__}: {exc}{where}"


def _extract_sequential(raw_docs: Iterable[RawDocument], on_document: Callable[[str], None] | None = None,
                        tabulate: Callable[[list[dict]], Any] | None = None,
                        extractor: Extractor = _default_extractor,
                        seconds: float = DEFAULT_DOC_SECONDS) -> ExtractedBatch:
    batch = ExtractedBatch()
    _warm_up(extractor)
    for raw in raw_docs:
        doc = Document(PurePosixPath(raw.file).name, raw.text, raw.url, raw.title, raw.published,
                       raw.region_override, raw.year_override)
        try:
            with _budget(seconds):
                figures = extractor(doc)
                region = _region_of(doc, figures)
        except DocumentOverBudget:
            batch.failures.append((raw.file, raw.doc_id, f"extraction took over the {seconds:g}s budget "
                                   f"({DOC_SECONDS_ENV}); not loaded"))
            figures = None
        except Exception as exc:  # one bad document must not stop the load: record it
            batch.failures.append((raw.file, raw.doc_id, error_reason(exc)))
            figures = None
        if figures is not None:
            batch.regions[raw.doc_id] = region
            sentences = Sentences.of(raw.text) if figures else None
            for fig in figures:
                row = fig.as_row()
                year, grain = period_parts(fig.period)
                row.update(doc_id=raw.doc_id, file=raw.file, sentence=sentences.around(fig.char_start, fig.char_end),
                           year=year, period_grain=grain)
                batch.rows.append(row)
        if on_document:
            on_document(raw.file)
    if tabulate is not None:
        batch.tables, batch.rows = [tabulate(batch.rows)], []
    return batch
