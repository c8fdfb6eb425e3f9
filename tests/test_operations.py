"""Operations with real processes: a load killed mid-write, concurrent loads and queries, retrying one
document, and the graph under Dagster's multiprocess executor."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from warehouse.locking import TEST_PAUSE_ENV

QCITY = str(Path(sys.executable).with_name("qcity"))
DOCS = {
    "a.txt": "海门市2020年上半年完成地区生产总值410亿元,同比增长8.8%。",
    "b.txt": "启东市2020年一般公共预算收入35亿元,增长5.1%。",
    "c.txt": "如东县2020年地区生产总值1100亿元。",
}


def checksums(db: Path) -> dict[str, str]:
    from warehouse.io import connect, table_checksums

    con = connect(db, read_only=True)
    try:
        return table_checksums(con)
    finally:
        con.close()


def active_files(db: Path) -> list[str]:
    from warehouse.io import connect

    con = connect(db, read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT file FROM dim_document WHERE retired_at IS NULL ORDER BY file").fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """raw/ with a.txt, loaded once in-process (the same job `qcity load` runs)."""
    from orchestration.loading import run_load

    base = tmp_path_factory.mktemp("ops")
    raw = base / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(DOCS["a.txt"], encoding="utf-8")
    db = base / "w.duckdb"
    outcome = run_load(str(db), str(raw))
    assert outcome.last_run["documents_new"] == 1, outcome
    return raw, db


@pytest.fixture
def warehouse_copy(loaded, tmp_path):
    """A private copy of the loaded raw/ + warehouse, plus b.txt waiting to be loaded."""
    raw, db = loaded
    shutil.copytree(raw, tmp_path / "raw")
    shutil.copy(db, tmp_path / "w.duckdb")
    (tmp_path / "raw" / "b.txt").write_text(DOCS["b.txt"], encoding="utf-8")
    return tmp_path / "raw", tmp_path / "w.duckdb"


def qcity(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([QCITY, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def start_paused_load(raw: Path, db: Path, pause_s: float) -> subprocess.Popen:
    """A `qcity load` subprocess, returned once it is paused inside its load transaction (writes done,
    COMMIT not yet)."""
    proc = subprocess.Popen([QCITY, "load", "--raw", str(raw), "--db", str(db)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, TEST_PAUSE_ENV: str(pause_s)})
    paused = threading.Event()
    lines: list[str] = []

    def watch() -> None:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(TEST_PAUSE_ENV):
                paused.set()
    threading.Thread(target=watch, daemon=True).start()
    if not paused.wait(180):
        proc.kill()
        pytest.fail("the load never reached its transaction:\n" + "".join(lines))
    proc.stderr_lines = lines
    return proc


def test_load_killed_mid_write_leaves_the_previous_state_and_the_next_load_completes(warehouse_copy):
    from orchestration.loading import run_load

    raw, db = warehouse_copy
    before = checksums(db)
    proc = start_paused_load(raw, db, pause_s=120)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL

    assert checksums(db) == before
    assert active_files(db) == ["a.txt"]
    outcome = run_load(str(db), str(raw), wait_seconds=10)
    assert outcome.last_run["documents_new"] == 1 and outcome.success
    assert active_files(db) == ["a.txt", "b.txt"]


def test_second_load_and_queries_during_a_load_wait_or_say_why(warehouse_copy):
    raw, db = warehouse_copy
    first = start_paused_load(raw, db, pause_s=25)
    started = time.monotonic()

    refused = qcity("load", "--raw", str(raw), "--db", str(db), "--wait", "0")
    assert refused.returncode == 4, refused.stderr
    assert "busy: start a load" in refused.stderr and "(qcity load)" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr, refused.stderr

    busy = qcity("sql", "SELECT count(*) FROM dim_document", "--db", str(db), "--wait", "0.5")
    assert busy.returncode == 1
    assert "held by pid" in busy.stderr and "Traceback" not in busy.stderr, busy.stderr
    assert time.monotonic() - started < 25, "the refusals must not wait for the first load"

    second = subprocess.Popen([QCITY, "load", "--raw", str(raw), "--db", str(db), "--wait", "300"], cwd=ROOT,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    waited = qcity("sql", "SELECT count(*) AS n FROM dim_document WHERE retired_at IS NULL", "--db", str(db),
                   "--wait", "120", "--format", "csv")
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.splitlines() == ["n", "2"]  # read after the first load committed

    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + "".join(first.stderr_lines) + err
    assert "2 seen, 1 new" in out
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, out + err
    assert "2 seen, 0 new" in out  # it waited, then found the work done


def test_only_retries_just_the_named_document(warehouse_copy):
    from orchestration.loading import run_load

    raw, db = warehouse_copy
    (raw / "c.txt").write_text(DOCS["c.txt"], encoding="utf-8")
    outcome = run_load(str(db), str(raw), only_files=["c.txt"])
    assert outcome.success and outcome.last_run["documents_new"] == 1
    assert active_files(db) == ["a.txt", "c.txt"]  # b.txt waits for the next run


def test_the_graph_runs_under_the_multiprocess_executor(warehouse_copy, tmp_path, monkeypatch):
    from dagster import DagsterEventType, execute_job, instance_for_test, reconstructable

    from orchestration.jobs import nightly_load_job_from_env

    raw, db = warehouse_copy
    monkeypatch.setenv("QCITY_RAW", str(raw))
    monkeypatch.setenv("QCITY_DB", str(db))
    (tmp_path / "dagster_home").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        # A forkserver that has imported the code once: each step process starts in a fraction of a second.
        preload = {"forkserver": {"preload_modules": ["orchestration.definitions", "great_expectations"]}}
        config = {"execution": {"config": {"multiprocess": {"max_concurrent": 2, "start_method": preload}}}}
        with execute_job(reconstructable(nightly_load_job_from_env), instance, run_config=config) as result:
            assert result.success
            steps = {e.step_key: e.pid for e in result.all_events if e.event_type == DagsterEventType.STEP_SUCCESS}
    assert {"raw_documents", "figures", "figures_clean", "warehouse_tables"} <= steps.keys()
    assert len(set(steps.values())) == len(steps) and os.getpid() not in steps.values()  # a process per step
    assert active_files(db) == ["a.txt", "b.txt"]


def _doc(file: str):
    from extraction.sources import RawDocument

    return RawDocument(file, f"sha-{file}", 1, "utf_8", "x")


@pytest.mark.parametrize("only_files, extract, idle", [
    (None, ["n1.txt", "n2.txt", "c1.txt"], []),       # unset: every new and changed document
    ([], [], []),                                     # a removal-only sensor run extracts nothing
    (["n2.txt"], ["n2.txt"], []),                      # --only one new document
    (["c1.txt", "u1.txt"], ["c1.txt"], ["u1.txt"]),    # an unchanged file has nothing to extract
])
def test_restrict_plan(only_files, extract, idle):
    from assets.extract import restrict_plan
    from warehouse.io import LoadPlan

    plan = LoadPlan(new=[_doc("n1.txt"), _doc("n2.txt")], changed=[_doc("c1.txt")], unchanged=[_doc("u1.txt")],
                    removed=["r1.txt"])
    restricted, not_extracted = restrict_plan(plan, only_files)
    assert [d.file for d in restricted.to_extract] == extract
    assert not_extracted == idle
    assert restricted.removed == ["r1.txt"] and restricted.unchanged == plan.unchanged  # retirement still full-scan


def test_progress_off_a_terminal_is_plain_log_lines():
    from orchestration.progress import document_progress

    lines: list[str] = []
    with document_progress(20, "extracting", lines.append) as advance:
        for i in range(20):
            advance(f"{i}.txt")
    assert [line.split(" (")[0] for line in lines] == [f"extracting: {n}/20 documents" for n in range(2, 21, 2)]


def test_daemon_runs_retry_transient_errors_and_queue_one_load_at_a_time():
    from orchestration.definitions import defs

    job = defs.resolve_job_def("nightly_load_job")
    assert job.run_tags["qcity/load"] == "warehouse"
    assert job.op_retry_policy.max_retries >= 1  # every step; raw_documents and figures also carry their own
