"""The staging tables through which the stages of a load hand off (warehouse/schema/007_staging.sql).

Each stage writes its output into `staging.*` in one transaction and stamps it with its run id; the next
stage of the same run reads it from there. Document texts stay in DuckDB: no stage holds the whole raw
folder in memory or passes it to the next one as a Python object.
"""
from __future__ import annotations

import dataclasses
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import duckdb
import polars as pl

from extraction.manifest import ManifestProblem
from extraction.sources import KnownFile, RawDocument, RawScan, RejectedDocument
from warehouse.transforms import WORD_COLUMNS

STAGES = ("raw_documents", "figures", "figures_clean")
# What the load does with each file of raw/ (staging.stg_plan.action)
NEW, CHANGED, UNCHANGED, REMOVED, DUPLICATE, FAILED = "new", "changed", "unchanged", "removed", "duplicate", "failed"
EXTRACTED = (NEW, CHANGED)


class StagingMismatch(RuntimeError):
    """A stage's input was written by another run (or never): the stages of one load run together."""


def mark_stage(con: duckdb.DuckDBPyConnection, stage: str, run_id: str, source_signature: tuple | None = None) -> None:
    con.execute("""INSERT INTO staging.stg_run VALUES (?, ?, now(), ?)
                   ON CONFLICT (stage) DO UPDATE SET run_id = excluded.run_id, written_at = excluded.written_at,
                       source_signature = excluded.source_signature""",
                [stage, run_id, list(source_signature) if source_signature else None])


def staged_manifest_signature(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """The signature of raw/manifest.csv when raw_documents last read it (None: there was none)."""
    row = con.execute("SELECT source_signature FROM staging.stg_run WHERE stage = 'raw_documents'").fetchall()
    return tuple(row[0][0]) if row and row[0][0] else None


def require_stage(con: duckdb.DuckDBPyConnection, stage: str, run_id: str) -> None:
    """Raise StagingMismatch unless `stage` was last written by `run_id`."""
    row = con.execute("SELECT run_id FROM staging.stg_run WHERE stage = ?", [stage]).fetchall()
    if not row or row[0][0] != run_id:
        by = f"run {row[0][0]}" if row else "no run"
        raise StagingMismatch(
            f"staging of {stage} was written by {by}, not by this run ({run_id}): a stage reads the output of "
            f"the stage before it in the same run, so materialize {stage} together with what follows it")


@contextmanager
def stage_transaction(con: duckdb.DuckDBPyConnection, stage: str, run_id: str, frames: dict[str, pl.DataFrame],
                      source_signature: tuple | None = None) -> Iterator[None]:
    """One stage's write: `frames` registered under their names, the caller's statements, the stage stamped
    with its run, all in one transaction (rolled back on any error, the frames unregistered either way)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for name, frame in frames.items():
            con.register(name, frame)
        yield
        mark_stage(con, stage, run_id, source_signature)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in frames:
            con.unregister(name)


# ---- raw_documents

def known_files(con: duckdb.DuckDBPyConnection, extractor_version: str) -> dict[str, KnownFile]:
    """file → its staged signature, doc_id and encoding: the files a scan need not open again (those decoded
    by this version of the extractor: a changed decoder reads every file again)."""
    rows = con.execute("SELECT file, size_bytes, mtime_ns, ctime_ns, inode, doc_id, encoding FROM staging.stg_document"
                       " WHERE decoded_by = ?", [extractor_version]).fetchall()
    known = {f: KnownFile((size, m, c, i), doc_id, enc) for f, size, m, c, i, doc_id, enc in rows}
    for f, size, m, c, i, doc_id, reason in con.execute(
            "SELECT file, size_bytes, mtime_ns, ctime_ns, inode, doc_id, reason FROM staging.stg_rejected"
            " WHERE decoded_by = ? AND inode IS NOT NULL", [extractor_version]).fetchall():
        known[f] = KnownFile((size, m, c, i), doc_id, "", rejected=reason)
    return known


@dataclass
class ScanCounts:
    documents: int = 0
    read: int = 0        # files opened and decoded by this scan
    reused: int = 0      # files whose staged row still holds (signature unchanged)
    rejected: int = 0
    manifest_problems: int = 0


def stage_scan(con: duckdb.DuckDBPyConnection, scan: RawScan, run_id: str, extractor_version: str) -> ScanCounts:
    """Write a scan into staging in one transaction: rows of files read again are replaced, rows of files
    gone are deleted, reused rows keep their text and take the manifest's current metadata."""
    read = [d for d in scan.documents if not d.reused]
    frame = pl.DataFrame({
        "file": [d.file for d in scan.documents],
        "doc_id": [d.doc_id for d in scan.documents],
        "size_bytes": [d.size for d in scan.documents],
        "encoding": [d.encoding for d in scan.documents],
        "url": [d.url for d in scan.documents],
        "title": [d.title for d in scan.documents],
        "published": [d.published for d in scan.documents],
        "region_override": [d.region_override for d in scan.documents],
        "year_override": [d.year_override for d in scan.documents],
        "metadata_sha256": [d.metadata_fingerprint for d in scan.documents],
        "mtime_ns": [d.signature[1] for d in scan.documents],
        "ctime_ns": [d.signature[2] for d in scan.documents],
        "inode": [d.signature[3] for d in scan.documents],
    }, schema={"file": pl.String, "doc_id": pl.String, "size_bytes": pl.Int64, "encoding": pl.String,
               "url": pl.String, "title": pl.String, "published": pl.String, "region_override": pl.String,
               "year_override": pl.Int32, "metadata_sha256": pl.String, "mtime_ns": pl.Int64,
               "ctime_ns": pl.Int64, "inode": pl.Int64})
    texts = pl.DataFrame({"file": [d.file for d in read], "text": [d.text for d in read]},
                         schema={"file": pl.String, "text": pl.String})
    signed = [r.signature or (None, None, None, None) for r in scan.rejected]
    rejected = pl.DataFrame({"file": [r.file for r in scan.rejected], "doc_id": [r.doc_id for r in scan.rejected],
                             "size_bytes": [r.size for r in scan.rejected], "reason": [r.reason for r in scan.rejected],
                             "mtime_ns": [s[1] for s in signed], "ctime_ns": [s[2] for s in signed],
                             "inode": [s[3] for s in signed],
                             "decoded_by": [extractor_version if r.signature else None for r in scan.rejected]},
                            schema={"file": pl.String, "doc_id": pl.String, "size_bytes": pl.Int64, "reason": pl.String,
                                    "mtime_ns": pl.Int64, "ctime_ns": pl.Int64, "inode": pl.Int64, "decoded_by": pl.String})
    problems = pl.DataFrame({"line": [p.line for p in scan.manifest_problems], "file": [p.file for p in scan.manifest_problems],
                             "reason": [p.reason for p in scan.manifest_problems]},
                            schema={"line": pl.Int32, "file": pl.String, "reason": pl.String})
    frames = {"_scan": frame, "_texts": texts, "_rejected": rejected, "_problems": problems}
    with stage_transaction(con, "raw_documents", run_id, frames, scan.manifest_signature):
        con.execute("DELETE FROM staging.stg_document WHERE file NOT IN (SELECT file FROM _scan)"
                    " OR file IN (SELECT file FROM _texts)")
        con.execute("""INSERT INTO staging.stg_document BY NAME
                       SELECT s.*, t.text, ? AS decoded_by, now() AS scanned_at FROM _scan s JOIN _texts t USING (file)""",
                    [extractor_version])
        con.execute("""UPDATE staging.stg_document d SET url = s.url, title = s.title, published = s.published,
                           region_override = s.region_override, year_override = s.year_override,
                           metadata_sha256 = s.metadata_sha256
                       FROM _scan s WHERE d.file = s.file AND d.metadata_sha256 <> s.metadata_sha256""")
        con.execute("DELETE FROM staging.stg_rejected")
        con.execute("INSERT INTO staging.stg_rejected SELECT * FROM _rejected")
        con.execute("DELETE FROM staging.stg_manifest_problem")
        con.execute("INSERT INTO staging.stg_manifest_problem SELECT * FROM _problems")
    return ScanCounts(len(scan.documents), len(read), len(scan.documents) - len(read),
                      len(scan.rejected), len(scan.manifest_problems))


def scan_is_staged(con: duckdb.DuckDBPyConnection, scan: RawScan) -> bool:
    """True when staging already holds `scan` exactly: every file reused (unchanged bytes), the same
    metadata, rejects and manifest problems — so that staging it again would write nothing."""
    if any(not d.reused for d in scan.documents):
        return False
    staged = staged_scan(con)
    def documents(s: RawScan) -> set:
        return {(d.file, d.doc_id, d.metadata_fingerprint) for d in s.documents}

    def rejects(s: RawScan) -> set:
        return {(r.file, r.doc_id, r.size, r.reason) for r in s.rejected}
    return (documents(staged) == documents(scan)
            and rejects(staged) == rejects(scan)
            and sorted(staged.manifest_problems, key=repr) == sorted(scan.manifest_problems, key=repr))


def staged_scan(con: duckdb.DuckDBPyConnection) -> RawScan:
    """The staged scan without texts (what a load plan needs); texts come from staged_texts()."""
    scan = RawScan()
    for (file, doc_id, size, encoding, url, title, published, region, year, m, c, i) in con.execute(
            """SELECT file, doc_id, size_bytes, encoding, url, title, published, region_override, year_override,
                      mtime_ns, ctime_ns, inode FROM staging.stg_document ORDER BY file""").fetchall():
        scan.documents.append(RawDocument(file, doc_id, size, encoding, "", url, title, published, region, year,
                                          signature=(size, m, c, i), reused=True))
    scan.rejected = [RejectedDocument(file, doc_id, size, reason, (size, m, c, i) if i is not None else None)
                     for file, doc_id, size, reason, m, c, i in con.execute(
                         "SELECT file, doc_id, size_bytes, reason, mtime_ns, ctime_ns, inode FROM staging.stg_rejected"
                         " ORDER BY file").fetchall()]
    scan.manifest_problems = [ManifestProblem(*row) for row in con.execute(
        "SELECT line, file, reason FROM staging.stg_manifest_problem ORDER BY line, file").fetchall()]
    return scan


def with_texts(con: duckdb.DuckDBPyConnection, documents: list[RawDocument]) -> list[RawDocument]:
    """The documents with their staged texts."""
    texts = staged_texts(con, files=[d.file for d in documents])
    return [dataclasses.replace(d, text=texts[d.file], reused=False) for d in documents]


def staged_texts(con: duckdb.DuckDBPyConnection, files: list[str] | None = None,
                 doc_ids: list[str] | None = None) -> dict[str, str]:
    """file → text (by `files`), or doc_id → text (by `doc_ids`), of the staged documents."""
    if files is not None:
        rows = con.execute("SELECT file, text FROM staging.stg_document WHERE file IN (SELECT unnest(?::VARCHAR[]))",
                           [files]).fetchall()
    else:
        rows = con.execute("SELECT doc_id, any_value(text) FROM staging.stg_document"
                           " WHERE doc_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY doc_id", [doc_ids or []]).fetchall()
    return dict(rows)


# ---- figures

def stage_extraction(con: duckdb.DuckDBPyConnection, run_id: str, plan_rows: list[tuple[str, str, str, str | None]],
                     regions: dict[str, tuple[str, str]], figure_files: list[str]) -> int:
    """The plan (file, doc_id, action, reason), each extracted document's region and its division code, and
    the figure rows of `figure_files` (transforms.write_figure_file), staged in their order; the number of figures."""
    region = [regions.get(r[1], ("", "")) for r in plan_rows]
    plan = pl.DataFrame({"file": [r[0] for r in plan_rows], "doc_id": [r[1] for r in plan_rows],
                         "action": [r[2] for r in plan_rows], "reason": [r[3] for r in plan_rows],
                         "region_zh": [r[0] or None for r in region], "region_code": [r[1] or None for r in region]},
                        schema={"file": pl.String, "doc_id": pl.String, "action": pl.String, "reason": pl.String,
                                "region_zh": pl.String, "region_code": pl.String})
    with stage_transaction(con, "figures", run_id, {"_plan": plan}):
        con.execute("DELETE FROM staging.stg_plan")
        con.execute("INSERT INTO staging.stg_plan BY NAME SELECT *, ? AS run_id FROM _plan", [run_id])
        con.execute("DELETE FROM staging.stg_figure")
        for path in figure_files:  # one at a time: the staged order is the documents' order
            con.execute("INSERT INTO staging.stg_figure BY NAME SELECT * FROM read_parquet(?)", [path])
    return con.execute("SELECT count(*) FROM staging.stg_figure").fetchall()[0][0]


def staged_figures(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> pl.DataFrame:
    """The staged figure rows of the documents `doc_ids`, in the order they were staged."""
    return con.sql("SELECT * FROM staging.stg_figure WHERE doc_id IN (SELECT unnest($ids::VARCHAR[]))",
                   params={"ids": doc_ids}).pl()


def staged_figure_documents(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The doc_ids of the staged figures, in the order they were staged."""
    return [r[0] for r in con.execute(
        "SELECT doc_id FROM (SELECT doc_id, min(rowid) AS first FROM staging.stg_figure GROUP BY doc_id) ORDER BY first"
    ).fetchall()]


# ---- figures_clean

def _json_safe(row: dict) -> dict:
    """inf and NaN as strings ("inf"): JSON has no such numbers, and DuckDB refuses Python's Infinity."""
    return {k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}


def _aside_frame(quarantined: list[tuple[dict, str]]) -> pl.DataFrame:
    return pl.DataFrame({
        "figure_id": [row.get("figure_id", "") for row, _ in quarantined],
        "doc_id": [row.get("doc_id", "") for row, _ in quarantined],
        "file": [row.get("file", "") for row, _ in quarantined],
        "expectation": [rule for _, rule in quarantined],
        "figure": [json.dumps(_json_safe(row), ensure_ascii=False, default=str) for row, _ in quarantined],
    }, schema={"figure_id": pl.String, "doc_id": pl.String, "file": pl.String, "expectation": pl.String,
               "figure": pl.String})


class CleanStage:
    """figures_clean's output as it is written, some documents at a time, inside the stage's transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def add(self, kept: pl.DataFrame, quarantined: list[tuple[dict, str]]) -> None:
        """Rows that pass, and rows set aside with the rule each failed."""
        if kept.height:
            self.con.register("_kept", kept)
            try:
                self.con.execute("INSERT INTO staging.stg_figure_clean BY NAME SELECT * FROM _kept")
            finally:
                self.con.unregister("_kept")
        if quarantined:
            self.con.register("_aside", _aside_frame(quarantined))
            try:
                self.con.execute("INSERT INTO staging.stg_quarantine SELECT * FROM _aside")
            finally:
                self.con.unregister("_aside")

    def values(self) -> pl.DataFrame:
        """The rows staged so far without their words (quote, sentence): what a rule across figures reads."""
        return self.con.sql(f"SELECT * EXCLUDE ({', '.join(WORD_COLUMNS)}) FROM staging.stg_figure_clean").pl()

    def set_aside(self, rules: dict[str, str]) -> list[tuple[dict, str]]:
        """Move the staged rows of `rules` (figure_id → the rule it failed) to the quarantine: their whole rows."""
        if not rules:
            return []
        ids = list(rules)
        rows = self.con.sql("SELECT * FROM staging.stg_figure_clean WHERE figure_id IN (SELECT unnest($ids::VARCHAR[]))",
                            params={"ids": ids}).pl().to_dicts()
        order = {figure_id: i for i, figure_id in enumerate(ids)}
        aside = [(row, rules[row["figure_id"]]) for row in sorted(rows, key=lambda r: order[r["figure_id"]])]
        self.con.execute("DELETE FROM staging.stg_figure_clean WHERE figure_id IN (SELECT unnest($ids::VARCHAR[]))",
                         {"ids": ids})
        self.add(pl.DataFrame(), aside)
        return aside

    def counts(self) -> tuple[int, int]:
        """(rows staged, of which with a metric_id)."""
        return self.con.execute("SELECT count(*), count(metric_id) FROM staging.stg_figure_clean").fetchall()[0]


@contextmanager
def clean_stage(con: duckdb.DuckDBPyConnection, run_id: str) -> Iterator[CleanStage]:
    """figures_clean's write, in one transaction: the staged clean rows and quarantine start empty."""
    with stage_transaction(con, "figures_clean", run_id, {}):
        con.execute("DELETE FROM staging.stg_figure_clean")
        con.execute("DELETE FROM staging.stg_quarantine")
        yield CleanStage(con)
