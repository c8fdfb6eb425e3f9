"""The measurements: extraction throughput, region resolution cost, a load as a subprocess, query latency,
`qcity sql` latency."""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bench.corpus import SourceDocument

INSTANCE_SETTINGS = Path(__file__).resolve().parents[1] / "orchestration" / "dagster.yaml"


# ---------------------------------------------------------------- extraction


@dataclass
class ExtractionResult:
    documents: int
    chars: int
    utf8_bytes: int
    wall_seconds: float
    cpu_seconds: float
    figures: int
    region_ms_per_doc: float       # resolve_document_region alone, per document
    region_share: float            # of the extraction CPU time (the engine resolves once per document)
    bare_regex_cpu_seconds: float = 0.0  # one finditer of a number pattern over the same documents
    bare_regex_matches: int = 0

    @property
    def chars_per_cpu_second(self) -> float:
        return self.chars / self.cpu_seconds

    @property
    def bare_regex_chars_per_cpu_second(self) -> float:
        return self.chars / self.bare_regex_cpu_seconds if self.bare_regex_cpu_seconds else 0.0

    @property
    def bare_regex_ratio(self) -> float:
        """Extraction throughput as a share of the bare regex pass's: how close the rules come to one scan."""
        bare = self.bare_regex_chars_per_cpu_second
        return self.chars_per_cpu_second / bare if bare else 0.0

    @property
    def chars_per_wall_second(self) -> float:
        return self.chars / self.wall_seconds


def repeated_documents(sources: list[SourceDocument], min_bytes: int):
    """The source documents as extraction Documents, repeated until they hold at least min_bytes of UTF-8."""
    from extraction.models import Document

    docs, total = [], 0
    while total < min_bytes:
        for s in sources:
            docs.append(Document(PurePosixPath(s.name).name, s.text, s.url, s.title, s.published))
            total += len(s.text.encode("utf-8"))
            if total >= min_bytes:
                break
    return docs, total


def measure_extraction(sources: list[SourceDocument], min_bytes: int) -> ExtractionResult:
    """Single process, one document at a time through extract_figures, as extraction/batch.py does."""
    from extraction.engine import extract_figures
    from extraction.regions import resolve_document_region

    docs, total_bytes = repeated_documents(sources, min_bytes)
    extract_figures(docs[0])  # lexicons and gazetteer load once per process: not throughput
    wall, cpu = time.perf_counter(), time.process_time()
    figures = sum(len(extract_figures(d)) for d in docs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    region_cpu = time.process_time()
    for d in docs:
        resolve_document_region(d.text, d.title, d.url)
    region_cpu = time.process_time() - region_cpu
    bare_cpu, bare_matches = bare_regex_pass([d.text for d in docs])
    return ExtractionResult(len(docs), sum(len(d.text) for d in docs), total_bytes, wall, cpu, figures,
                            1000 * region_cpu / len(docs), region_cpu / cpu if cpu else 0.0, bare_cpu, bare_matches)


# The yardstick of the extraction: one pass of a number pattern over the text, the least any extractor of
# numbers must do. The extraction's throughput is reported as a share of this one's.
BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def bare_regex_pass(texts: list[str]) -> tuple[float, int]:
    """CPU seconds of one `BARE_NUMBER.finditer` over every text (each match visited), and the matches."""
    cpu, n = time.process_time(), 0
    for text in texts:
        for _ in BARE_NUMBER.finditer(text):
            n += 1
    return time.process_time() - cpu, n


# ---------------------------------------------------------------- a pathological input: one long line

ONE_LINE_CHARS = 2_000_000 // 3  # issue 15's "2 MB line": ~666,000 characters of three-byte CJK
# a county's statistical bulletin: the densest of raw/ (one figure every ~16 characters), so the hardest line
ONE_LINE_SOURCE = "raw/s02.txt"


@dataclass
class OneLineResult:
    source: str
    chars: int
    utf8_bytes: int
    figures: int
    cpu_seconds: float             # the median run
    runs_cpu_seconds: list[float] = field(default_factory=list)


def one_line_text(sources: list[SourceDocument], chars: int = ONE_LINE_CHARS, name: str = ONE_LINE_SOURCE) -> str:
    """Real text as one line: the source document `name` with every line break removed, repeated and cut
    to `chars` characters."""
    doc = next(s for s in sources if s.name == name)
    one = doc.text.replace("\r", "").replace("\n", "")
    return (one * (chars // max(1, len(one)) + 1))[:chars]


def measure_one_line(sources: list[SourceDocument], chars: int = ONE_LINE_CHARS, repeats: int = 1,
                     name: str = ONE_LINE_SOURCE) -> OneLineResult:
    """CPU seconds of extract_figures on `one_line_text` (issue 15: it must stay linear, within 2 s)."""
    from extraction.engine import extract_figures
    from extraction.models import Document

    text = one_line_text(sources, chars, name)
    extract_figures(Document("warm-up.txt", sources[0].text))
    runs, figures = [], 0
    for _ in range(repeats):
        cpu = time.process_time()
        figures = len(extract_figures(Document("one_line.txt", text)))
        runs.append(time.process_time() - cpu)
    return OneLineResult(name, len(text), len(text.encode("utf-8")), figures, statistics.median(runs), runs)


# ---------------------------------------------------------------- a load, as a subprocess of the CLI

# Dagster's DEBUG event log: 'STEP_SUCCESS - Finished execution of step "figures" in 3.71s.'
# (long steps read "in 4m4s"; short ones "in 321ms")
_STEP_DONE = re.compile(r'Finished execution of step "(\w+)" in ((?:\d+h)?(?:\d+m(?!s))?(?:[\d.]+m?s)?)')
_DURATION_PART = re.compile(r"([\d.]+)(h|ms|m|s)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


# `qcity load`'s summary: "  run 1f0c…: succeeded"
_RUN_ID = re.compile(r"^  run ([0-9a-f-]{36}): ", re.M)


def recorded_step_seconds(dagster_home: Path, run_id: str) -> dict[str, float]:
    """Each step's duration as the run's event log records it. The console's copy is not enough: Dagster
    mirrors a step's output through `tail -F` and stops it when the run ends, so the last step's lines can be
    cut off (dagster issue 23336)."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    shards = dagster_home / "history" / "runs"
    if not (shards / f"{run_id}.db").exists():
        return {}
    storage = SqliteEventLogStorage(str(shards))
    try:
        return {s.step_key: s.end_time - s.start_time for s in storage.get_step_stats_for_run(run_id)
                if s.start_time is not None and s.end_time is not None}
    finally:
        storage.dispose()


def duration_seconds(text: str) -> float:
    """Dagster's step duration ('4m4s', '3.71s', '321ms', '1h2m') in seconds."""
    return sum(float(v) * _SECONDS[u] for v, u in _DURATION_PART.findall(text))


@dataclass
class LoadResult:
    documents: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    returncode: int
    step_seconds: dict[str, float] = field(default_factory=dict)
    summary: str = ""
    corpus_bytes: int = 0

    @property
    def ms_per_document(self) -> float:
        return 1000 * self.wall_seconds / self.documents if self.documents else 0.0


def run_load_subprocess(raw_dir: Path, db_path: Path, documents: int, dagster_home: Path, log_path: Path,
                        poll_seconds: float = 0.05) -> LoadResult:
    """`qcity load --raw DIR --db DB -v` in a child process, its output streamed to log_path; peak RSS of
    its process tree, polled."""
    import psutil  # the bench extra; imported here so that the other measures run without it

    dagster_home.mkdir(parents=True, exist_ok=True)
    # the instance settings `make setup` installs: a load measured as a user's nightly load runs
    shutil.copy(INSTANCE_SETTINGS, dagster_home / "dagster.yaml")
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home))
    qcity = Path(sys.executable).with_name("qcity")
    cmd = [str(qcity), "load", "--raw", str(raw_dir), "--db", str(db_path), "-v"]
    started = time.perf_counter()
    log = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, text=True)
    peak, stop = [0], threading.Event()

    def poll() -> None:
        parent = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                tree = [parent] + parent.children(recursive=True)
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            stop.wait(poll_seconds)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    usage_before = _children_cpu()
    proc.wait()
    wall = time.perf_counter() - started
    stop.set()
    poller.join()
    log.close()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    run = _RUN_ID.search(output)
    steps = recorded_step_seconds(dagster_home, run.group(1)) if run else {}
    for name, duration in _STEP_DONE.findall(output):
        steps.setdefault(name, duration_seconds(duration))
    summary = "\n".join(line for line in output.splitlines() if line.startswith(("qcity load", "  ")))
    return LoadResult(documents, wall, _children_cpu() - usage_before, peak[0], proc.returncode, steps, summary)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- query latency


@dataclass
class QueryResult:
    name: str
    sql: str
    median_ms: float
    p95_ms: float
    rows: int
    note: str = ""


def _has_relation(con, name: str) -> bool:
    """A table or a view of that name (metric_series is a view in migration 003, a table from 007 on)."""
    return bool(con.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?", [name]).fetchall())


def analyst_queries(con) -> list[tuple[str, str, list, str]]:
    """(name, sql, params, note): the three queries, on metric_series and target_progress when they exist."""
    views = _has_relation(con, "metric_series") and _has_relation(con, "target_progress")
    source = "metric_series" if views else "fact_figure"
    where = "" if views else "WHERE retired_at IS NULL AND kind = 'actual' AND period_grain = 'year' AND "
    pick = con.execute(
        f"SELECT region_zh, metric_id FROM {source} {where or 'WHERE '} region_zh IS NOT NULL AND metric_id IS NOT NULL "
        "GROUP BY ALL ORDER BY count(*) DESC, region_zh, metric_id LIMIT 1").fetchall()
    region, metric = pick[0] if pick else ("", "")
    note = "" if views else "metric_series and target_progress absent: equivalent query on fact_figure"
    if views:
        return [
            ("metric_series lookup by region and metric",
             "SELECT year, value_canonical, source_count, conflict FROM metric_series WHERE region_zh = ? AND metric_id = ? ORDER BY year",
             [region, metric], f"{region} × {metric}"),
            ("per-year aggregate across all regions",
             "SELECT year, metric_id, count(*) AS regions, sum(value_canonical) AS total, avg(value_canonical) AS mean "
             "FROM metric_series GROUP BY year, metric_id ORDER BY year, metric_id", [], ""),
            ("target_progress", "SELECT * FROM target_progress ORDER BY region_zh, metric_id, target_year", [], ""),
        ]
    base = "FROM fact_figure WHERE retired_at IS NULL AND kind = 'actual' AND period_grain = 'year'"
    return [
        ("metric_series lookup by region and metric",
         f"SELECT year, median(value_canonical) AS value, count(DISTINCT doc_id) AS sources {base} "
         "AND region_zh = ? AND metric_id = ? GROUP BY year ORDER BY year", [region, metric], f"{region} × {metric}; {note}"),
        ("per-year aggregate across all regions",
         f"SELECT year, metric_id, count(DISTINCT region_zh) AS regions, sum(value_canonical) AS total {base} "
         "GROUP BY year, metric_id ORDER BY year, metric_id", [], note),
        ("target_progress",
         "SELECT t.figure_id, t.region_zh, t.metric_id, t.year, t.value_canonical, a.latest_year, a.latest_value "
         "FROM fact_figure t LEFT JOIN (SELECT region_zh, metric_id, max(year) AS latest_year, "
         "arg_max(value_canonical, year) AS latest_value " + base + " GROUP BY ALL) a USING (region_zh, metric_id) "
         "WHERE t.kind = 'target' AND t.retired_at IS NULL ORDER BY t.region_zh, t.metric_id, t.year", [], note),
    ]


def measure_queries(db_path: Path, runs: int) -> list[QueryResult]:
    """Median (and p95) latency of each analyst query over `runs` runs on one read-only connection."""
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        results = []
        for name, sql, params, note in analyst_queries(con):
            rows = len(con.execute(sql, params).fetchall())  # warm: first run plans and reads from disk
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                con.execute(sql, params).fetchall()
                times.append(1000 * (time.perf_counter() - t))
            times.sort()
            results.append(QueryResult(name, sql, statistics.median(times),
                                       times[min(len(times) - 1, int(0.95 * len(times)))], rows, note))
        return results
    finally:
        con.close()


# ---------------------------------------------------------------- `qcity sql` latency, start-up included

SMALL_QUERY = "SELECT count(*) AS documents FROM dim_document WHERE retired_at IS NULL"


@dataclass
class CliLatencyResult:
    args: list[str]                # after `qcity`
    runs_seconds: list[float]      # wall time of each run
    runs_cpu_seconds: list[float]  # the child's user + system time: what it costs without waiting for a core
    returncode: int                # of the last run
    output: str = ""               # stdout of the last run

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.runs_seconds)

    @property
    def median_cpu_seconds(self) -> float:
        return statistics.median(self.runs_cpu_seconds)


def measure_sql_latency(db_path: Path, runs: int = 5, query: str = SMALL_QUERY) -> CliLatencyResult:
    """Wall time of `qcity sql QUERY --db DB` as a fresh process, the way an analyst runs it: interpreter
    start-up and imports are most of it (issue 16: 2 s when it imported Dagster). One warm-up run first, so
    the OS file cache is the same for every measured run."""
    qcity = Path(sys.executable).with_name("qcity")
    args = ["sql", query, "--db", str(db_path)]
    subprocess.run([str(qcity), *args], capture_output=True, text=True, timeout=60)
    times, cpu, run = [], [], None
    for _ in range(runs):
        cpu_before, started = _children_cpu(), time.perf_counter()
        run = subprocess.run([str(qcity), *args], capture_output=True, text=True, timeout=60)
        times.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - cpu_before)
    return CliLatencyResult(args, times, cpu, run.returncode, run.stdout)
