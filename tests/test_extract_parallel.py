"""A large batch is extracted by worker processes; the result is the same as one process's, in order."""
import hashlib
from pathlib import Path

import pytest

from bench.corpus import default_source_dirs, load_sources, synthetic_document
from extraction import batch as batch_module
from extraction.batch import DEFAULT_MAX_WORKERS, default_workers, extract_documents, extraction_workers
from extraction.sources import RawDocument

REPO = Path(__file__).resolve().parents[1]


def _raw_documents(n: int) -> list[RawDocument]:
    sources = load_sources(default_source_dirs(REPO))
    docs = []
    for i in range(n):
        text, base = synthetic_document(sources, 3, i)
        docs.append(RawDocument(f"syn_{i}.txt", hashlib.sha256(text.encode()).hexdigest(), len(text), "utf-8", text,
                                base.url, base.title, base.published))
    docs.append(RawDocument("empty.txt", "0" * 64, 0, "utf-8", ""))
    return docs


def test_workers_give_the_same_batch_in_the_same_order(monkeypatch):
    docs = _raw_documents(30)
    monkeypatch.setattr(batch_module, "PARALLEL_MIN_DOCUMENTS", 10)
    monkeypatch.setattr(batch_module, "CHUNK_DOCUMENTS", 7)
    monkeypatch.setenv("QCITY_EXTRACT_WORKERS", "1")
    one = extract_documents(docs)
    monkeypatch.setenv("QCITY_EXTRACT_WORKERS", "2")
    seen = []
    two = extract_documents(docs, seen.append)
    assert one.rows and two.rows == one.rows
    assert two.regions == one.regions and two.failures == one.failures
    assert seen == [d.file for d in docs]  # progress: every document once, in order


def _in_process_rows_then_workers(monkeypatch, workers: str) -> tuple[list[RawDocument], list[dict]]:
    """31 documents in chunks of 7 and their rows extracted in process; then `workers` extract."""
    docs = _raw_documents(30)
    monkeypatch.setattr(batch_module, "PARALLEL_MIN_DOCUMENTS", 10)
    monkeypatch.setattr(batch_module, "CHUNK_DOCUMENTS", 7)
    monkeypatch.setenv("QCITY_EXTRACT_WORKERS", "1")
    rows = extract_documents(docs).rows
    monkeypatch.setenv("QCITY_EXTRACT_WORKERS", workers)
    return docs, rows


@pytest.mark.parametrize("workers", ["1", "2"])
def test_tabulated_chunks_hold_the_same_rows_in_order(monkeypatch, workers):
    import polars as pl

    from warehouse.transforms import figures_frame

    docs, rows = _in_process_rows_then_workers(monkeypatch, workers)
    tabulated = extract_documents(docs, tabulate=figures_frame)
    assert tabulated.rows == []
    assert len(tabulated.tables) == (1 if workers == "1" else 5)   # one per chunk of 7 (31 documents)
    assert pl.concat(tabulated.tables).equals(figures_frame(rows))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_figure_files_written_where_extracted_stage_the_rows_in_order(monkeypatch, tmp_path, workers):
    """The figures asset's hand-off: each chunk's rows become a Parquet file where they were extracted, and
    staging.stg_figure gets every row of them, typed as the figure schema, in the documents' order."""
    import functools

    import polars as pl

    from warehouse import io, staging
    from warehouse.transforms import FIGURE_SCHEMA, figures_frame, write_figure_file

    docs, rows = _in_process_rows_then_workers(monkeypatch, workers)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    written = extract_documents(docs, tabulate=functools.partial(write_figure_file, str(scratch)))
    assert written.rows == [] and sorted(str(p) for p in scratch.iterdir()) == sorted(written.tables)
    con = io.connect(tmp_path / "w.duckdb")
    try:
        staged = staging.stage_extraction(con, "run-1", [], written.regions, written.tables)
        frame = con.sql("SELECT * FROM staging.stg_figure ORDER BY rowid").pl()
    finally:
        con.close()
    assert staged == len(rows) > 0
    assert frame.select(list(FIGURE_SCHEMA)).equals(figures_frame(rows))


@pytest.mark.parametrize("documents, setting, expected", [
    (10, "", 1),          # a small batch stays in process
    (10_000, "1", 1),     # switched off
    (10_000, "3", 3),     # set explicitly
])
def test_extraction_workers(monkeypatch, documents, setting, expected):
    monkeypatch.setenv("QCITY_EXTRACT_WORKERS", setting)
    assert extraction_workers(documents) == expected


@pytest.mark.parametrize("cores, expected", [
    (1, 1),
    (2, 2),
    (DEFAULT_MAX_WORKERS, DEFAULT_MAX_WORKERS),
    (64, DEFAULT_MAX_WORKERS),  # a large machine: the load's peak memory stays that of four workers
])
def test_default_workers_are_one_per_core_up_to_the_cap(cores, expected):
    assert default_workers(cores) == expected


def test_extraction_workers_default_follows_this_machine(monkeypatch):
    monkeypatch.delenv("QCITY_EXTRACT_WORKERS", raising=False)
    assert extraction_workers(10_000) == default_workers(batch_module._usable_cores())


def test_a_bad_worker_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("QCITY_EXTRACT_WORKERS", "many")
    with pytest.raises(ValueError, match="QCITY_EXTRACT_WORKERS"):
        extraction_workers(10_000)
