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
