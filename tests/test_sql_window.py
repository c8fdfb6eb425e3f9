"""`qcity sql` is a read-only analyst window: every attack of issue 15 is refused with one line and changes
nothing; one statement per call; --timeout and Ctrl-C interrupt a query; it never imports Dagster or GX.

All through the real CLI (a subprocess) on a copy of the real seed warehouse.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

QCITY = str(Path(sys.executable).with_name("qcity"))
# Runs for minutes (10^10 pairs, nothing to prune), so only an interrupt ends it within the tests' bounds.
SLOW_QUERY = "SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range < 0"


def qcity_sql(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([QCITY, "sql", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def window(seed_load, tmp_path_factory):
    """A private copy of the seed warehouse, a raw/ folder with its manifest, another DuckDB file to attach,
    and an empty folder an attack might write into."""
    _, seed_db, seed_raw = seed_load
    base = tmp_path_factory.mktemp("sql_window")
    db = base / "warehouse" / "qcity.duckdb"
    db.parent.mkdir()
    shutil.copy(seed_db, db)
    raw = base / "raw"
    shutil.copytree(seed_raw, raw)
    other = base / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    out = base / "out"
    out.mkdir()
    run = qcity_sql("SELECT count(*) AS n FROM dim_document", "--db", str(db), "--format", "json")
    assert run.returncode == 0, run.stderr  # also leaves the lock file, so that it is part of the baseline
    return {"db": db, "raw": raw, "other": other, "out": out, "base": base}


def fingerprint(base: Path) -> dict[str, str]:
    """Every file under the window's folder with the sha256 of its bytes: a write anywhere shows up."""
    return {str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(base.rglob("*")) if p.is_file()}


def assert_one_line_error(run: subprocess.CompletedProcess, fragment: str) -> None:
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert fragment in run.stderr, run.stderr


REFUSED = "query refused (the sql window reads the warehouse only): Permission Error"
NO_FILES = "file system operations are disabled by configuration"
LOCKED = "the configuration has been locked"
READ_ONLY = "attached in read-only mode"

# (attack, SQL with {db} {raw} {other} {out} filled in, fragment of the one-line error)
ATTACKS = [
    ("overwrite the warehouse file", "COPY (SELECT 'x') TO '{db}'", NO_FILES),
    ("replace raw/manifest.csv", "COPY (SELECT 'a.txt' AS file) TO '{raw}/manifest.csv' (HEADER)", NO_FILES),
    ("COPY a table to a CSV file", "COPY fact_figure TO '{out}/leak.csv'", NO_FILES),
    ("COPY a query to Parquet", "COPY (SELECT * FROM dim_document) TO '{out}/leak.parquet' (FORMAT parquet)", NO_FILES),
    ("EXPORT DATABASE", "EXPORT DATABASE '{out}/export'", NO_FILES),
    ("ATTACH another database read-write", "ATTACH '{other}' AS other (READ_WRITE)", NO_FILES),
    ("ATTACH a new database file", "ATTACH '{out}/new.duckdb' AS fresh", NO_FILES),
    ("read /etc/shadow", "SELECT content FROM read_text('/etc/shadow')", NO_FILES),
    ("read the process environment", "SELECT content FROM read_text('/proc/self/environ')", NO_FILES),
    ("read /etc/passwd as CSV", "SELECT * FROM read_csv('/etc/passwd', sep = ':')", NO_FILES),
    ("list a directory", "SELECT * FROM glob('/root/*')", NO_FILES),
    ("read over the network", "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')", NO_FILES),
    ("LOAD an extension", "LOAD httpfs", "Loading external extensions is disabled through configuration"),
    ("LOAD an extension file", "LOAD '{out}/evil.duckdb_extension'", "Loading external extensions is disabled"),
    ("INSTALL an extension", "INSTALL httpfs", NO_FILES),
    ("INSTALL a community extension", "INSTALL quack FROM community", NO_FILES),
    ("SET enable_external_access back on", "SET enable_external_access = true", LOCKED),
    ("RESET enable_external_access", "RESET enable_external_access", LOCKED),
    ("PRAGMA enable_external_access", "PRAGMA enable_external_access = true", LOCKED),
    ("unlock the configuration", "SET lock_configuration = false", LOCKED),
    ("allow unsigned extensions", "SET allow_unsigned_extensions = true", "allow_unsigned_extensions"),
    ("widen allowed_directories", "SET allowed_directories = ['/']", LOCKED),
    ("change any other setting", "SET threads = 1", LOCKED),
    ("DELETE from the warehouse", "DELETE FROM fact_figure", READ_ONLY),
    ("INSERT into the warehouse", "INSERT INTO load_runs SELECT * FROM load_runs", READ_ONLY),
    ("DROP a warehouse table", "DROP TABLE dim_document", READ_ONLY),
    ("CREATE a warehouse table", "CREATE TABLE planted AS SELECT 1 AS x", READ_ONLY),
    ("UPDATE the warehouse", "UPDATE dim_document SET region_zh = 'x'", READ_ONLY),
    ("ATTACH then change it, in one call", "ATTACH '{other}' AS o; INSERT INTO o.t VALUES (2)",
     "2 statements given; qcity sql runs one statement per call"),
]


@pytest.mark.parametrize("attack, sql, fragment", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_an_attack_is_refused_in_one_line_and_changes_nothing(window, attack, sql, fragment):
    before = fingerprint(window["base"])
    run = qcity_sql(sql.format(**{k: v for k, v in window.items() if k != "base"}), "--db", str(window["db"]))
    assert_one_line_error(run, fragment)
    if fragment == NO_FILES:
        assert run.stderr.startswith(f"Error: {REFUSED}"), run.stderr
    assert "root:" not in run.stderr and "PATH=" not in run.stderr  # nothing of what it tried to read
    assert fingerprint(window["base"]) == before


@pytest.mark.parametrize("sql", [
    "COPY (SELECT 'x') TO '{out}/control.csv'",
    "SELECT length(content) FROM read_text('/proc/self/environ')",
], ids=["write a file", "read the environment"])
def test_control_a_plain_read_only_connection_would_have_let_it_through(window, sql):
    """The attacks above are real: DuckDB's default read-only connection allows them; the window's settings stop them."""
    con = duckdb.connect(str(window["db"]), read_only=True)
    try:
        con.execute(sql.format(out=window["out"])).fetchall()
    finally:
        con.close()
    (window["out"] / "control.csv").unlink(missing_ok=True)


def test_reading_the_warehouse_still_works_with_the_settings_visible_and_locked(window):
    run = qcity_sql("SELECT current_setting('enable_external_access') AS external, "
                    "current_setting('lock_configuration') AS locked, "
                    "(SELECT count(*) FROM fact_figure WHERE retired_at IS NULL) > 0 AS has_figures",
                    "--db", str(window["db"]), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [{"external": False, "locked": True, "has_figures": True}]


@pytest.mark.parametrize("sql, fragment", [
    ("", "empty query"),
    ("   ", "empty query"),
    ("\n\t\n", "empty query"),
    (";", "empty query"),
    ("/* only a comment */", "empty query"),
    ("SELECT 1; SELECT 2", "2 statements given"),
    ("SELECT 1; SELECT 2; SELECT 3;", "3 statements given"),
    ("SELECT count(*) FROM dim_document; DELETE FROM fact_figure", "2 statements given"),
    ("SELECT nonsense FROM nowhere", "query failed: Catalog Error"),
    ("SELECT FROM WHERE", "query failed: Parser Error"),
])
def test_a_query_that_is_not_one_good_statement_is_an_error(window, sql, fragment):
    before = fingerprint(window["base"])
    assert_one_line_error(qcity_sql(sql, "--db", str(window["db"])), fragment)
    assert fingerprint(window["base"]) == before


@pytest.mark.parametrize("sql, rows", [
    ("SELECT 1 AS n;", [{"n": 1}]),                  # a trailing semicolon is still one statement
    ("SELECT 2 AS n -- a comment", [{"n": 2}]),
    ("CREATE TEMP TABLE scratch AS SELECT 3 AS n", [{"Count": 1}]),  # temp: in memory, gone with the call
])
def test_one_statement_runs(window, sql, rows):
    run = qcity_sql(sql, "--db", str(window["db"]), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == rows


def test_a_warehouse_with_an_unreplayed_wal_reads_without_any_allowed_path(tmp_path):
    """A writer that died before its checkpoint leaves a .wal beside the file: the window still reads it all."""
    db = tmp_path / "crashed.duckdb"
    subprocess.run([sys.executable, "-c", "import duckdb, os; c = duckdb.connect(%r); "
                    "c.execute('CREATE TABLE t AS SELECT 1 AS x'); c.execute('INSERT INTO t VALUES (2)'); "
                    "os._exit(0)" % str(db)], check=True, timeout=60)
    assert Path(str(db) + ".wal").exists()
    run = qcity_sql("SELECT sum(x) AS s FROM t", "--db", str(db), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [{"s": 3}]


def test_qcity_db_from_the_environment(window):
    run = qcity_sql("SELECT count(*) AS n FROM dim_document", "--format", "csv", env={"QCITY_DB": str(window["db"])})
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "n" and int(run.stdout.splitlines()[1]) > 0


def test_a_query_over_its_timeout_is_interrupted(window):
    run = qcity_sql(SLOW_QUERY, "--db", str(window["db"]), "--timeout", "1")
    assert_one_line_error(run, "query interrupted after the 1 s timeout (--timeout)")
    assert not Path(str(window["db"]) + ".lock.owner").exists()  # the lock was released


@pytest.mark.parametrize("timeout", ["0", "-1", "soon"])
def test_the_timeout_must_be_a_positive_number(window, timeout):
    run = qcity_sql("SELECT 1", "--db", str(window["db"]), "--timeout", timeout)
    assert run.returncode == 2 and "--timeout" in run.stderr


def test_ctrl_c_stops_a_query_with_one_line(window):
    owner = Path(str(window["db"]) + ".lock.owner")  # written while the command holds the warehouse lock
    proc = subprocess.Popen([QCITY, "sql", SLOW_QUERY, "--db", str(window["db"])], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # a parent that ignores SIGINT (a background job) would pass that on to the child
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not owner.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert owner.exists(), "qcity sql never took the warehouse lock"
        time.sleep(1.0)  # past opening the connection: the query is running
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert stdout == "" and "Traceback" not in stderr
    assert stderr.strip() == "qcity sql: query interrupted (Ctrl-C); nothing was changed"
    assert not owner.exists()


def test_qcity_sql_imports_neither_dagster_nor_great_expectations(window):
    run = subprocess.run([sys.executable, "-X", "importtime", QCITY, "sql", "SELECT count(*) FROM dim_document",
                          "--db", str(window["db"])], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    # -X importtime: "import time: self [us] | cumulative | imported package", one line per module
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in run.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert {"duckdb", "click", "warehouse"} <= imported  # the measurement sees the command's imports
    assert not imported & {"dagster", "great_expectations", "polars", "pandas"}, sorted(imported)


def test_the_bench_measures_qcity_sql_latency(window):
    """The bench's measure runs the real command; its speed is judged in bench/results.md, not here."""
    from bench.measure import measure_sql_latency
    from bench.report import SQL_SMALL_QUERY_MAX_S, budgets

    result = measure_sql_latency(window["db"], runs=3)
    assert result.returncode == 0 and len(result.runs_seconds) == len(result.runs_cpu_seconds) == 3
    assert all(c > 0 for c in result.runs_cpu_seconds)  # a real child process ran
    assert "documents" in result.output and result.median_seconds > 0
    entry = budgets(_no_extraction(), [], None, 0, [], sql_latency=result)["sql_small_query_seconds"]
    assert entry["budget"] == SQL_SMALL_QUERY_MAX_S == 0.5 and entry["unit"] == "s"
    assert entry["value"] == round(result.median_seconds, 3) and entry["ok"] == (entry["value"] <= 0.5)


def _no_extraction():
    from bench.measure import ExtractionResult

    return ExtractionResult(1, 1, 1, 1.0, 1.0, 0, 0.0, 0.0)
