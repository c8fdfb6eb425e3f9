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
    proc.stderr_watcher = threading.Thread(target=watch, daemon=True)
    proc.stderr_watcher.start()
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

    from orchestration.definitions import nightly_load_job_from_env

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
    # the stages hand off through DuckDB: no step stored an output for the next one to unpickle
    stored = [p for p in (tmp_path / "dagster_home" / "storage").rglob("*")
              if p.is_file() and "compute_logs" not in p.parts]   # the steps' captured stdout/stderr only
    assert stored == [], stored


def _doc(file: str):
    from extraction.sources import RawDocument

    return RawDocument(file, f"sha-{file}", 1, "utf_8", "x")


@pytest.mark.parametrize("only_files, pick_up, extract, idle", [
    (None, False, ["n1.txt", "n2.txt", "c1.txt"], []),        # unset: every new and changed document
    ([], False, [], []),                                      # nothing listed, nothing picked up
    (["n2.txt"], False, ["n2.txt"], []),                       # --only one new document
    (["c1.txt", "u1.txt"], False, ["c1.txt"], ["u1.txt"]),     # an unchanged file has nothing to extract
    (["n2.txt"], True, ["n1.txt", "n2.txt", "c1.txt"], []),    # a sensor run catches up on unloaded documents
    ([], True, ["n1.txt", "n2.txt", "c1.txt"], []),            # even a removal-only one
])
def test_restrict_plan(only_files, pick_up, extract, idle):
    from assets.extract import restrict_plan
    from warehouse.io import LoadPlan

    plan = LoadPlan(new=[_doc("n1.txt"), _doc("n2.txt")], changed=[_doc("c1.txt")], unchanged=[_doc("u1.txt")],
                    removed=["r1.txt"])
    restricted, not_extracted = restrict_plan(plan, only_files, pick_up)
    assert [d.file for d in restricted.to_extract] == extract
    assert not_extracted == idle
    assert restricted.removed == ["r1.txt"] and restricted.unchanged == plan.unchanged  # retirement still full-scan


@pytest.mark.parametrize("seconds_between_lines, shown", [
    (0.0, list(range(2, 21, 2))),   # a slow pass: a line every 10%
    (3600.0, [20]),                 # a pass faster than the throttle: its end only
], ids=["every-10-percent", "fast-pass-end-only"])
def test_progress_off_a_terminal_is_plain_log_lines(monkeypatch, seconds_between_lines, shown):
    from orchestration import progress

    monkeypatch.setattr(progress, "PROGRESS_LINE_SECONDS", seconds_between_lines)
    lines: list[str] = []
    with progress.document_progress(20, "extracting", lines.append) as advance:
        for i in range(20):
            advance(f"{i}.txt")
    assert [line.split(" (")[0] for line in lines] == [f"extracting: {n}/20 documents" for n in shown]


def test_daemon_runs_retry_transient_errors_and_queue_one_load_at_a_time():
    from orchestration.definitions import defs

    job = defs.resolve_job_def("nightly_load_job")
    assert job.run_tags["qcity/load"] == "warehouse"
    assert job.op_retry_policy.max_retries >= 1  # every step; raw_documents and figures also carry their own


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_aborts_the_load_rolls_back_and_releases_the_locks(warehouse_copy, signum, status):
    from warehouse.locking import db_lock_path, hold, load_lock_path

    raw, db = warehouse_copy
    before = checksums(db)
    proc = start_paused_load(raw, db, pause_s=120)
    started = time.monotonic()
    os.kill(proc.pid, signum)
    proc.wait(60)
    proc.stderr_watcher.join(10)  # it reads stderr to its end
    err = "".join(proc.stderr_lines)
    assert proc.returncode == status, proc.stdout.read() + err
    assert time.monotonic() - started < 30, "the signal must not wait for the paused transaction"
    assert err.splitlines()[-1] == \
        f"qcity load: stopped by {signal.Signals(signum).name}; rolled back, nothing of this load was written", err
    assert checksums(db) == before
    for lock in (load_lock_path(db), db_lock_path(db)):
        with hold(lock, 0, "test"):  # released: taken at once
            pass


def test_wait_bounds_the_warehouse_lock_and_announces_who_holds_it(warehouse_copy):
    from warehouse.locking import db_lock_path, hold

    raw, db = warehouse_copy
    with hold(db_lock_path(db), 0, "test"):  # as a long `qcity sql` would
        started = time.monotonic()
        run = qcity("load", "--raw", str(raw), "--db", str(db), "--wait", "1")
    assert time.monotonic() - started < 60
    assert run.returncode == 4, run.stdout + run.stderr
    assert f"start a load: waiting up to 1s for pid {os.getpid()} (" in run.stderr, run.stderr
    assert "busy: start a load: w.duckdb.lock is held by pid" in run.stderr and "Traceback" not in run.stderr


def test_another_duckdb_program_holding_the_file_ends_the_load_with_one_busy_line(warehouse_copy):
    import duckdb

    raw, db = warehouse_copy
    con = duckdb.connect(str(db))  # another program: outside qcity's locks
    try:
        run = qcity("load", "--raw", str(raw), "--db", str(db), "--wait", "1")
    finally:
        con.close()
    assert run.returncode == 4, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith(f"qcity load: busy: {db} is open in another program"), run.stderr
    assert "Traceback" not in run.stderr and "IOException" not in run.stderr


def test_a_sensor_run_picks_up_documents_an_earlier_failed_run_left_unloaded(warehouse_copy):
    """b.txt waits in raw/ unloaded (the run that should have loaded it failed); the sensor's next run is
    for c.txt only, and loads both."""
    from dagster import DagsterInstance, materialize

    from orchestration.definitions import ASSETS
    from orchestration.resources import resources_from_env

    raw, db = warehouse_copy
    (raw / "c.txt").write_text(DOCS["c.txt"], encoding="utf-8")
    result = materialize(ASSETS, resources=resources_from_env(str(db), str(raw)),
                         instance=DagsterInstance.ephemeral(), raise_on_error=False,
                         run_config={"ops": {"figures": {"config": {"only_files": ["c.txt"]}}}})
    assert result.success
    assert active_files(db) == ["a.txt", "b.txt", "c.txt"]


def _spawned_workers(pid: int) -> list[int]:
    """The extraction worker processes of `pid` (multiprocessing spawn children)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):  # any thread may have started a worker
        try:
            children += (task / "children").read_text().split()
        except OSError:
            pass
    workers = []
    for child in children:
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.append(int(child))
        except OSError:
            pass
    return workers


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_during_extraction_ends_the_worker_processes(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(400):  # PARALLEL_MIN_DOCUMENTS: the batch goes to worker processes
        (raw / f"d{i:03}.txt").write_text(f"海门市2020年新增企业{i}家。" + "增长1%," * 1500, encoding="utf-8")
    proc = subprocess.Popen([QCITY, "load", "--raw", str(raw), "--db", str(tmp_path / "w.duckdb")], cwd=ROOT,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "QCITY_EXTRACT_WORKERS": "2"})
    deadline, workers = time.monotonic() + 180, []
    while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
        time.sleep(0.2)
        workers = _spawned_workers(proc.pid)
    assert len(workers) == 2, "the load never started its worker processes"
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, out + err
    time.sleep(1)
    assert [w for w in workers if _alive(w)] == [], "worker processes outlived the load"


@pytest.mark.parametrize("items, expected", [
    (0, []),
    (1, ["item 0"]),
    (20, [f"item {i}" for i in range(20)]),
    (21, [f"item {i}" for i in range(20)] + ["… and 1 more items (all of them: a table)"]),
    (500, [f"item {i}" for i in range(20)] + ["… and 480 more items (all of them: a table)"]),
])
def test_a_run_log_names_the_first_items_and_counts_the_rest(items, expected):
    """Each log line is a Dagster event: a list of rejects, manifest problems or quarantined figures is named
    up to NAMED_IN_LOG items, and the rest counted in one line (the tables hold all)."""
    from orchestration.progress import NAMED_IN_LOG, log_first

    logged = []
    log_first(logged.append, list(range(items)), lambda i: f"item {i}", "items (all of them: a table)")
    assert NAMED_IN_LOG == 20 and logged == expected
