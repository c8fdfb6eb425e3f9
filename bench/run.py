"""`make bench` = `.venv/bin/python -m bench.run`: build the synthetic corpora, measure, write results.md/.json.

    python -m bench.run [--sizes 100,1000,10000] [--incremental 100] [--extraction-bytes 5000000]
                        [--one-line-chars 666666] [--query-runs 50] [--sql-runs 5] [--repeats 3] [--seed 20261123]
                        [--out-dir bench] [--work-dir DIR] [--only extraction]

`--only extraction` measures the extraction alone (throughput, the bare regex pass, the one-line input, on
one core, ~1 minute) and updates its section and budgets in an existing results.json/results.md.

Loads run as subprocesses of `qcity load` (a fresh DuckDB per run, a throwaway DAGSTER_HOME with the
settings `make setup` installs), so their peak RSS is the child's alone; each size is loaded --repeats times
and its median run reported; the incremental load adds --incremental new documents to the largest
warehouse. Queries, and `qcity sql` as a fresh process, run against that warehouse afterwards.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# `qcity load` exit statuses of a load that completed: 0, and 3 (loaded with figures or files set aside)
LOADED = (0, 3)
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.corpus import default_source_dirs, document_name, load_sources, write_corpus  # noqa: E402
from bench.measure import (ONE_LINE_CHARS, measure_extraction, measure_one_line, measure_queries,  # noqa: E402
                           measure_sql_latency, run_load_subprocess)
from bench.report import update_extraction, write_results  # noqa: E402


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    if not sizes or sizes[0] <= 0:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 100,1000,10000")
    return sizes


def _odd(text: str) -> int:
    n = int(text)
    if n < 1 or n % 2 == 0:
        raise argparse.ArgumentTypeError("repeats must be odd (1, 3, 5 …): the median of an even number is two runs")
    return n


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=_sizes, default=[100, 1000, 10000], help="full-load corpus sizes (comma-separated)")
    p.add_argument("--incremental", type=int, default=100, help="new documents added to the largest warehouse")
    p.add_argument("--extraction-bytes", type=int, default=5_000_000, help="UTF-8 bytes of real text to extract")
    p.add_argument("--one-line-chars", type=int, default=ONE_LINE_CHARS,
                   help="characters of the one-line input (issue 15's 2 MB line); 0 skips it")
    p.add_argument("--only", choices=["extraction"], default=None,
                   help="measure the extraction alone and update its section of an existing results.json")
    p.add_argument("--query-runs", type=int, default=50, help="runs per query (the median is reported)")
    p.add_argument("--sql-runs", type=_odd, default=5, help="runs of `qcity sql` on a small query, odd (the median is reported)")
    p.add_argument("--repeats", type=_odd, default=3,
                   help="runs of the extraction, of raw/ and of each load, odd (the median run is reported)")
    p.add_argument("--seed", type=int, default=20261123, help="seed of the synthetic corpora")
    p.add_argument("--out-dir", type=Path, default=REPO / "bench", help="where results.md and results.json go")
    p.add_argument("--work-dir", type=Path, default=None, help="corpora and warehouses (default: a temp dir, removed)")
    p.add_argument("--source", type=Path, action="append", default=None,
                   help="folder of real documents (repeatable; default raw/ and ../shared/corpus/*)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="qcity-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    try:
        sources = load_sources(args.source or default_source_dirs(REPO))
        say(f"{len(sources)} source documents; work dir {work}")

        extraction_runs = []
        for _ in range(args.repeats):
            extraction_runs.append(measure_extraction(sources, args.extraction_bytes))
            say(f"extraction: {extraction_runs[-1].chars_per_cpu_second:,.0f} chars/CPU-s "
                f"({extraction_runs[-1].chars_per_wall_second:,.0f} chars/wall-s) over "
                f"{extraction_runs[-1].documents} documents; region {extraction_runs[-1].region_ms_per_doc:.2f} ms/doc")
        extraction = median_run(extraction_runs, lambda r: r.chars_per_cpu_second)
        say(f"bare regex pass: {extraction.bare_regex_chars_per_cpu_second:,.0f} chars/CPU-s; extraction/bare regex "
            f"{extraction.bare_regex_ratio:.4f}")
        one_line = None
        if args.one_line_chars > 0:
            one_line = measure_one_line(sources, args.one_line_chars, args.repeats)
            say(f"one line of {one_line.chars:,} chars ({one_line.utf8_bytes:,} bytes): {one_line.cpu_seconds:.2f} s CPU, "
                f"{one_line.figures} figures; runs {[round(t, 2) for t in one_line.runs_cpu_seconds]}")
        if args.only == "extraction":
            md, js = update_extraction(args.out_dir, extraction=extraction, extraction_runs=extraction_runs,
                                       one_line=one_line, sample_document=document_name(0))
            say(f"updated the extraction section of {md} and {js}")
            return 0

        embedded = measure_embedded_raw(work, args.repeats)
        for label, runs in (("fresh load", embedded.fresh_runs), ("reload, nothing changed", embedded.reload_runs)):
            say(f"raw/ {label}: " + ", ".join(f"{r.wall_seconds:.2f}s (exit {r.returncode})" for r in runs))

        loads = []
        for n in args.sizes:
            raw = work / f"raw_{n}"
            if raw.exists():
                shutil.rmtree(raw)
            corpus_bytes = write_corpus(raw, sources, args.seed, 0, n)
            db = work / f"w_{n}.duckdb"
            runs = []
            for i in range(args.repeats):  # each run into a fresh warehouse; the last one's is kept
                for stale in work.glob(f"w_{n}.duckdb*"):
                    stale.unlink()
                result = run_load_subprocess(raw, db, n, work / "dagster_home", log_path=work / f"load_{n}_{i}.log")
                result.corpus_bytes = corpus_bytes
                runs.append(result)
                say(f"full load {n}: {result.wall_seconds:.1f}s, {result.peak_rss_bytes / 2**20:.0f} MiB, "
                    f"{result.ms_per_document:.1f} ms/doc, exit {result.returncode}; steps {result.step_seconds}")
                if result.returncode not in LOADED:
                    say(result.summary)
            loads.append(FullLoads(runs))

        largest = args.sizes[-1]
        raw, db = work / f"raw_{largest}", work / f"w_{largest}.duckdb"
        incremental, incremental_runs = None, []
        if args.incremental > 0:
            added = write_corpus(raw, sources, args.seed, largest, largest + args.incremental)
            before = work / f"w_{largest}_before_increment.duckdb"
            shutil.copy(db, before)
            for i in range(args.repeats):
                shutil.copy(before, db)  # every run adds the same new documents to the same warehouse
                run = run_load_subprocess(raw, db, args.incremental, work / "dagster_home",
                                          log_path=work / f"load_{largest}_plus_{args.incremental}_{i}.log")
                run.corpus_bytes = added
                incremental_runs.append(run)
                say(f"incremental +{args.incremental} into {largest}: {run.wall_seconds:.1f}s, "
                    f"exit {run.returncode}; steps {run.step_seconds}")
            before.unlink()
            incremental = median_run(incremental_runs, lambda r: r.wall_seconds)

        queries = measure_queries(db, args.query_runs)
        for q in queries:
            say(f"query {q.name}: median {q.median_ms:.2f} ms ({q.rows} rows)")
        sql_latency = measure_sql_latency(db, args.sql_runs)
        say(f"qcity sql small query: median {sql_latency.median_seconds:.3f} s, exit {sql_latency.returncode}")

        md, js = write_results(args.out_dir, extraction=extraction, extraction_runs=extraction_runs,
                               loads=[size.median for size in loads], load_runs=[size.runs for size in loads],
                               incremental=incremental, incremental_runs=incremental_runs,
                               incremental_base=largest, queries=queries, seed=args.seed,
                               sources=len(sources), elapsed=time.time() - started,
                               sample_document=document_name(0), query_runs=args.query_runs,
                               sql_latency=sql_latency, one_line=one_line, embedded=embedded)
        say(f"wrote {md} and {js}")
        failed = [r for r in [run for size in loads for run in size.runs] + incremental_runs
                  + embedded.fresh_runs + embedded.reload_runs if r.returncode not in LOADED]
        failed += [sql_latency] if sql_latency.returncode != 0 else []
        return 1 if failed else 0
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)


@dataclass
class EmbeddedRawLoads:
    """`qcity load` of the embedded raw/ into a fresh warehouse, then again with nothing changed."""

    fresh_runs: list
    reload_runs: list

    @property
    def fresh(self):
        return median_run(self.fresh_runs, lambda r: r.wall_seconds)

    @property
    def reload(self):
        return median_run(self.reload_runs, lambda r: r.wall_seconds)


def measure_embedded_raw(work: Path, repeats: int) -> EmbeddedRawLoads:
    """Each repeat: a fresh load of raw/ into a new warehouse, then the same load again (nothing changed)."""
    raw = REPO / "raw"
    documents = sum(1 for p in raw.iterdir() if p.suffix == ".txt")
    loads = EmbeddedRawLoads([], [])
    for i in range(repeats):
        db = work / f"embedded_raw_{i}.duckdb"
        for stale in work.glob(f"{db.name}*"):
            stale.unlink()
        loads.fresh_runs.append(run_load_subprocess(raw, db, documents, work / "dagster_home",
                                                    log_path=work / f"embedded_raw_{i}_fresh.log"))
        loads.reload_runs.append(run_load_subprocess(raw, db, 0, work / "dagster_home",
                                                     log_path=work / f"embedded_raw_{i}_reload.log"))
    return loads


@dataclass
class FullLoads:
    """The runs of one corpus size, each into a fresh warehouse."""

    runs: list

    @property
    def median(self):
        """The median run by wall time, with the highest peak RSS of all the runs: time is noisy on a shared
        machine, memory is not, and its budget is a ceiling."""
        run = median_run(self.runs, lambda r: r.wall_seconds)
        return replace(run, peak_rss_bytes=max(r.peak_rss_bytes for r in self.runs))


def median_run(runs: list, key):
    """The run whose measure is the median of an odd number of runs: one noisy moment of a shared machine
    neither sinks nor flatters the reported figure; results.md lists every run."""
    return sorted(runs, key=key)[len(runs) // 2]


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
