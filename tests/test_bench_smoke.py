"""The benchmark command, run with tiny sizes into a temp dir so it cannot rot (bench/results.* untouched)."""
import csv
import hashlib
import json
from pathlib import Path

import pytest

from bench import run as bench_run
from bench.corpus import default_source_dirs, load_sources, synthetic_document, write_corpus
from bench.measure import _STEP_DONE, duration_seconds

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sources():
    return load_sources(default_source_dirs(REPO))


def test_synthetic_corpus_is_deterministic_and_extends_by_index(sources, tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    write_corpus(small, sources, 7, 0, 5)
    write_corpus(large, sources, 7, 0, 3)
    write_corpus(large, sources, 7, 3, 8)  # the incremental benchmark appends like this
    for f in small.glob("syn_*.txt"):
        assert (large / f.name).read_bytes() == f.read_bytes(), f.name
    with (large / "manifest.csv").open(encoding="utf-8", newline="") as f:
        assert [r["file"] for r in csv.DictReader(f)] == [f"syn_{i:06d}.txt" for i in range(8)]
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in large.glob("syn_*.txt")}
    assert len(shas) == 8


@pytest.mark.parametrize("index", range(6))
def test_synthetic_document_differs_from_its_base_but_keeps_its_headline(sources, index):
    text, base = synthetic_document(sources, 7, index)
    assert text != base.text
    assert text.split("\n")[0] == base.text.split("\n")[0]


def test_bench_command_writes_results_with_budgets(tmp_path):
    out = tmp_path / "out"
    before = {p: p.stat().st_mtime for p in (REPO / "bench").glob("results.*")}
    # one run of each measurement (the median of several is test_the_median_run_is_reported's) and a short line:
    # the command's every section, at the least cost
    code = bench_run.main(["--sizes", "20", "--incremental", "3", "--extraction-bytes", "50000", "--repeats", "1",
                           "--one-line-chars", "20000", "--sql-runs", "1", "--query-runs", "3",
                           "--out-dir", str(out), "--work-dir", str(tmp_path / "work")])
    assert code == 0
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    # a completed load: 0, or 3 when the synthetic documents had figures quarantined (qcity load's exit statuses)
    assert data["full_loads"][0]["documents"] == 20 and data["full_loads"][0]["returncode"] in bench_run.LOADED
    assert data["incremental_load"]["documents"] == 3 and data["incremental_load"]["returncode"] in bench_run.LOADED
    walls = data["incremental_load"]["runs_wall_seconds"]
    assert len(walls) == 1 and data["incremental_load"]["wall_seconds"] == walls[0]
    assert len(data["extraction"]["runs_chars_per_cpu_second"]) == 1
    assert data["full_loads"][0]["peak_rss_mb"] > 50  # a real child process was measured
    assert data["full_loads"][0]["runs_wall_seconds"] == [data["full_loads"][0]["wall_seconds"]]
    # every step's duration, the last one's too (from the run's event log, whatever the console kept)
    assert set(data["full_loads"][0]["step_seconds"]) == {"raw_documents", "figures", "figures_clean",
                                                           "warehouse_tables", "analyst_report"}
    assert {"extraction_chars_per_second", "metric_series_lookup_median_ms"} <= set(data["budgets"])
    for entry in data["budgets"].values():
        assert set(entry) >= {"value", "budget", "unit", "ok"} and isinstance(entry["ok"], bool)
    assert len(data["queries"]) == 3 and all(q["median_ms"] > 0 for q in data["queries"])
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "## Budgets" in md and "| 20 |" in md
    assert {p: p.stat().st_mtime for p in (REPO / "bench").glob("results.*")} == before


@pytest.mark.parametrize("values, median", [([5], 5), ([3, 1, 2], 2), ([9, 1, 7, 3, 5], 5)])
def test_the_median_run_is_reported(values, median):
    assert bench_run.median_run(values, lambda v: v) == median


@pytest.mark.parametrize("repeats", ["0", "2", "-1"])
def test_repeats_must_be_odd(repeats):
    with pytest.raises(SystemExit):
        bench_run.parse_args(["--repeats", repeats])


@pytest.mark.parametrize("line, seconds", [
    ('Finished execution of step "figures" in 4m4s.', 244.0),
    ('Finished execution of step "figures" in 3.71s.', 3.71),
    ('Finished execution of step "figures" in 321ms.', 0.321),
    ('Finished execution of step "figures" in 1h2m.', 3720.0),
])
def test_dagster_step_durations_are_read_in_seconds(line, seconds):
    (name, duration), = _STEP_DONE.findall(line)
    assert name == "figures" and duration_seconds(duration) == pytest.approx(seconds)


def test_a_full_load_row_is_its_median_run_with_the_highest_peak_of_all_runs():
    from bench.measure import LoadResult

    runs = [LoadResult(10, wall, 1.0, peak, 0) for wall, peak in ((5.0, 300), (3.0, 900), (4.0, 200))]
    row = bench_run.FullLoads(runs).median
    assert (row.wall_seconds, row.peak_rss_bytes) == (4.0, 900)
    assert [r.peak_rss_bytes for r in runs] == [300, 900, 200]  # the runs themselves are left as measured
