"""The stages hand off through DuckDB: each raw file is opened once per load (and not at all when it is
unchanged), a reload that finds nothing to load runs no stage after `figures`, and every run is recorded."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb

from tests.conftest import ROOT, copy_raw

# Counts the opens of files under raw/ through Python's audit hooks (every open() and os.open() raises one),
# around one in-process `run_load` — the load `qcity load` runs.
OPENS = """
import collections, json, sys
raw, db = sys.argv[1], sys.argv[2]
opens = collections.Counter()
def count(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].startswith(raw + "/"):
        opens[args[0][len(raw) + 1:]] += 1
sys.addaudithook(count)
from orchestration.loading import run_load
outcome = run_load(db, raw)
print(json.dumps({"success": outcome.success, "opens": opens, "checks": outcome.checks_passed + outcome.checks_failed}))
"""


def _load_counting_opens(raw, db) -> dict:
    run = subprocess.run([sys.executable, "-c", OPENS, str(raw), str(db)], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, env={**os.environ, "QCITY_EXTRACT_WORKERS": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_each_raw_file_is_opened_once_per_load_and_unchanged_files_not_at_all(tmp_path):
    raw = copy_raw(tmp_path / "raw").resolve()
    db = tmp_path / "q.duckdb"
    documents = sorted(p.name for p in raw.iterdir() if p.suffix == ".txt")
    (raw / "scan.bin").write_bytes(bytes(range(256)) * 10)   # rejected: its bytes are no text

    first = _load_counting_opens(raw, db)
    assert first["success"] and first["checks"] > 0
    assert first["opens"] == {**{name: 1 for name in documents}, "scan.bin": 1, "manifest.csv": 1}

    again = _load_counting_opens(raw, db)   # the rejected file too keeps its verdict without being read
    assert again["success"] and again["opens"] == {"manifest.csv": 1}
    assert again["checks"] == 0   # nothing to load: no stage after figures ran

    changed = documents[0]
    with open(raw / changed, "a", encoding="utf-8") as handle:
        handle.write("\n2021年，全市地区生产总值增长6.5%。\n")
    third = _load_counting_opens(raw, db)
    assert third["success"] and third["opens"] == {changed: 1, "manifest.csv": 1}
    assert not third["opens"].get("scan.bin")

    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = con.execute("SELECT status, documents_new, documents_changed FROM load_runs ORDER BY started_at").fetchall()
        checked = con.execute("SELECT status, trigger, checks_passed > 0, checks_failed FROM load_runs ORDER BY started_at").fetchall()
        staged = con.execute("SELECT count(*) FROM staging.stg_document").fetchall()[0][0]
    finally:
        con.close()
    assert runs == [("loaded", len(documents), 0), ("unchanged", 0, 0), ("loaded", 0, 1)]
    assert staged == len(documents)
    # every run is recorded with how it was started; a load that ran its checks, with their counts
    assert checked == [("loaded", "qcity load", True, 0), ("unchanged", "qcity load", None, None),
                       ("loaded", "qcity load", True, 0)]


def test_cleaning_some_documents_at_a_time_gives_the_load_of_all_at_once(tmp_path, monkeypatch):
    """figures_clean cleans CLEAN_CHUNK_DOCUMENTS documents per pass: one document per pass loads exactly what
    one pass over all does — the figures, their metric ids, the row quarantine, and the subject-fact rules,
    which compare figures across documents (a GDP part in one document above the total another states)."""
    from assets import clean
    from tests.conftest import materialize_load

    extra = {
        "total.txt": "2020年，长沙市实现地区生产总值500亿元，增长6.0%。\n",
        "part.txt": "2020年，长沙市第二产业增加值800亿元。全市产品质量监督抽查合格率达120%。\n",
    }
    loads = {}
    for chunk in (1, clean.CLEAN_CHUNK_DOCUMENTS):
        raw = copy_raw(tmp_path / f"raw_{chunk}")
        for name, text in extra.items():
            (raw / name).write_text(text, encoding="utf-8")
        monkeypatch.setattr(clean, "CLEAN_CHUNK_DOCUMENTS", chunk)
        db = tmp_path / f"chunk_{chunk}.duckdb"
        assert materialize_load(raw, db).success
        con = duckdb.connect(str(db), read_only=True)
        try:
            loads[chunk] = (
                con.execute("SELECT * EXCLUDE (loaded_at) FROM fact_figure ORDER BY figure_id").fetchall(),
                con.execute("SELECT figure_id, expectation, figure->>'quote' FROM quarantined_figures ORDER BY ALL").fetchall())
        finally:
            con.close()
    figures, quarantined = loads[1]
    assert len(figures) > 500 and {q[1] for q in quarantined} == {"rate_percent_within_0_100", "gdp_part_not_above_total"}
    assert loads[1] == loads[clean.CLEAN_CHUNK_DOCUMENTS]


def _subject_tables_against_their_definitions(db) -> dict[str, tuple[int, bool]]:
    """subject table → (rows, whether its rows are exactly what its definition <table>_computed selects)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0].removesuffix("_computed") for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE view_name LIKE 'fact%\\_computed' ESCAPE '\\'").fetchall()]
        return {t: (con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0],
                    con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                    == con.execute(f"SELECT * FROM {t}_computed ORDER BY ALL").fetchall())
                for t in tables}
    finally:
        con.close()


def test_a_load_refreshes_the_subject_tables_of_its_documents_as_a_whole_refresh_would(tmp_path):
    """A load rewrites the subject tables' rows of the documents it writes, re-extracts or retires only
    (subject_facts_for_documents.sql): after loads that add, change and remove documents, every subject table
    holds what its definition selects; a changed definition makes the next load refresh the tables whole."""
    from tests.conftest import materialize_load

    raw = copy_raw(tmp_path / "raw")
    db = tmp_path / "w.duckdb"
    assert materialize_load(raw, db).success
    first = _subject_tables_against_their_definitions(db)
    assert len(first) == 7 and all(same for _, same in first.values()) and sum(n for n, _ in first.values()) > 200

    documents = sorted(p for p in raw.glob("*.txt"))
    documents[0].unlink()                                                       # removed
    documents[1].write_text(documents[1].read_text(encoding="utf-8") + "\n2021年，全市地区生产总值增长9.9%。\n",
                            encoding="utf-8")                                   # changed
    (raw / "added.txt").write_text("2022年，泰州市实现地区生产总值6400亿元，一般公共预算收入420亿元，"
                                   "新增省级地方标准12项。\n", encoding="utf-8")  # new
    assert materialize_load(raw, db).success
    after = _subject_tables_against_their_definitions(db)
    assert all(same for _, same in after.values()), after
    assert after != first  # the loads did change the subject rows

    con = duckdb.connect(str(db))
    try:
        gdp_rows = con.execute("SELECT count(*) FROM fact_gdp").fetchall()[0][0]
        # a new definition, as a migration would write it: no GDP figure counts any more
        con.execute("CREATE OR REPLACE VIEW fact_gdp_computed AS SELECT * FROM fact_gdp WHERE false")
    finally:
        con.close()
    assert gdp_rows > 0
    (raw / "added_later.txt").write_text("2023年，泰州市新增省级地方标准5项。\n", encoding="utf-8")
    assert materialize_load(raw, db).success
    redefined = _subject_tables_against_their_definitions(db)
    assert redefined["fact_gdp"] == (0, True) and all(same for _, same in redefined.values())


def test_a_document_changed_back_gets_its_earlier_figure_rows_back(tmp_path):
    """Content seen before is written over its retired rows (warehouse/io.py, UPDATE_SEEN_FIGURES_SQL): after
    edit → revert, every figure of the document is active once, with the first load's ids (an id is of the
    document's content), and the edit's figures are retired."""
    from tests.conftest import materialize_load

    raw = copy_raw(tmp_path / "raw")
    db = tmp_path / "w.duckdb"
    assert materialize_load(raw, db).success
    document = sorted(raw.glob("*.txt"))[0]
    original = document.read_text(encoding="utf-8")

    def figures() -> tuple[set, set]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            rows = con.execute("SELECT figure_id, retired_at IS NULL FROM fact_figure WHERE file = ?",
                               [document.name]).fetchall()
        finally:
            con.close()
        assert len(rows) == len({f for f, _ in rows}), "a figure id twice"
        return {f for f, active in rows if active}, {f for f, active in rows if not active}

    first, _ = figures()
    document.write_text(original + "\n2021年，全市新增省级地方标准8项。\n", encoding="utf-8")
    assert materialize_load(raw, db).success
    edited, retired = figures()
    assert edited and not edited & first and retired == first
    document.write_text(original, encoding="utf-8")
    assert materialize_load(raw, db).success
    assert figures() == (first, edited)
