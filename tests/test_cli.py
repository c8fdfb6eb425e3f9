"""The qcity CLI, run as a real subprocess."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

QCITY = str(Path(sys.executable).with_name("qcity"))


def qcity(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([QCITY, *args], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, **(env or {})})


def test_extract_writes_the_contract_csv_that_the_scorer_scores(shared, tmp_path):
    out = tmp_path / "x.csv"
    run = qcity("extract", str(shared / "corpus/seed"), "--manifest", str(ROOT / "raw/manifest.csv"), "--out", str(out))
    assert run.returncode == 0, run.stderr
    with open(out, encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:14] == ["doc", "region_zh", "period", "metric_zh", "category", "value", "value_max", "unit_zh",
                           "value_canonical", "qualifier", "kind", "quote", "char_start", "char_end"]
    score = subprocess.run(
        [sys.executable, str(shared / "tools/score_figures.py"), "--gold", str(shared / "gold/seed_gold.csv"),
         "--pred", str(out), "--docs", str(shared / "corpus/seed"), "--json", str(tmp_path / "s.json")],
        capture_output=True, text=True, check=True)
    result = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert result["f1"] >= 0.95 and result["end_to_end"] >= 0.85, score.stdout


def test_extract_to_stdout(tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text("海门市今年上半年完成地区生产总值410亿元。", encoding="utf-8")
    run = qcity("extract", str(doc))
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(run.stdout.splitlines()))
    assert [(r["doc"], r["value"], r["unit_zh"], r["category"]) for r in rows] == [("a.txt", "410", "亿元", "gdp")]


def test_load_then_sql_then_check(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw)
    db = tmp_path / "w.duckdb"
    scratch = tmp_path / "tmp"  # the figure files and the subject rules' scratch warehouse go, and are removed
    scratch.mkdir()
    run = qcity("load", "--raw", str(raw), "--db", str(db), env={"TMPDIR": str(scratch)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "15 seen, 15 new" in run.stdout
    assert list(scratch.iterdir()) == []
    assert "checks:" in run.stdout and "0 failed" in run.stdout

    run = qcity("sql", "SELECT count(*) AS n FROM dim_document", "--db", str(db), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [{"n": 15}]

    run = qcity("sql", "SELECT region_zh FROM dim_document WHERE file LIKE '000%'", "--db", str(db))
    assert "海门市" in run.stdout and "(1 rows)" in run.stdout

    run = qcity("sql", "SELECT nonsense FROM nowhere", "--db", str(db))
    assert run.returncode != 0 and "query failed" in run.stderr

    run = qcity("check", "--db", str(db))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS" in run.stdout


def test_qcity_db_and_raw_come_from_the_environment(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("海门市今年上半年完成地区生产总值410亿元。", encoding="utf-8")
    db = tmp_path / "env.duckdb"
    run = qcity("load", env={"QCITY_DB": str(db), "QCITY_RAW": str(raw)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert db.exists() and "1 seen, 1 new" in run.stdout


def test_sql_without_a_warehouse_says_so(tmp_path):
    run = qcity("sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb"))
    assert run.returncode != 0 and "qcity load" in run.stderr


# `qcity` ends its process without the interpreter's shutdown (orchestration.cli.run): the exit status,
# the error text and every byte written to a pipe must come through as an ordinary exit gives them.
EXIT_CASES = [
    (("--version",), 0, "stdout", "qcity "),
    (("no-such-command",), 2, "stderr", "No such command"),
    (("sql", "SELECT 1", "--db", "{missing}"), 1, "stderr", "no warehouse at"),
]


def test_exit_status_and_messages_survive_the_fast_exit(tmp_path):
    for args, status, stream, text in EXIT_CASES:
        run = qcity(*(a.format(missing=tmp_path / "none.duckdb") for a in args))
        assert run.returncode == status, (args, run.stdout, run.stderr)
        assert text in getattr(run, stream), (args, run.stdout, run.stderr)


def test_a_long_output_reaches_the_pipe_whole(tmp_path):
    from warehouse.io import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    run = qcity("sql", "SELECT range AS n FROM range(200000)", "--db", str(db), "--format", "csv")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "n" and len(lines) == 200_001 and lines[-1] == "199999"
