"""bench/results.md and bench/results.json: every figure beside its budget, the machine and the date."""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

from bench.measure import BARE_NUMBER, CliLatencyResult, ExtractionResult, LoadResult, OneLineResult, QueryResult

# The budgets: issue #8's for a 2-core, 24 GB machine, tightened by issue #16 (and #15 for the one-line input).
EXTRACTION_MIN_CHARS_PER_S = 1_000_000
ONE_LINE_MAX_CPU_S = 2.0
FULL_LOAD_MAX_S = 40.0
FULL_LOAD_MAX_RSS_MB = 1024.0
INCREMENTAL_MAX_S = 8.0
METRIC_SERIES_MAX_MS = 10.0
EMBEDDED_FRESH_LOAD_MAX_S = 8.0     # `qcity load` of raw/ into a new warehouse
EMBEDDED_RELOAD_MAX_S = 3.0         # the same load again, nothing changed
SQL_SMALL_QUERY_MAX_S = 0.5    # issue 16: `qcity sql` on a small query, start-up included
BUDGETED_LOAD_SIZE = 10_000
BUDGETED_INCREMENTAL = 100


def machine() -> dict:
    import psutil  # the bench extra; imported here so that the budgets can be computed without it

    mem = psutil.virtual_memory().total
    return {
        "host": platform.node(),
        "cpu": platform.processor() or platform.machine(),
        "cores": psutil.cpu_count(logical=True),
        "memory_gb": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def _budget(value: float, budget: float, unit: str, at_least: bool, note: str = "") -> dict:
    ok = value >= budget if at_least else value <= budget
    entry = {"value": round(value, 3), "budget": budget, "unit": unit, "ok": bool(ok)}
    if note:
        entry["note"] = note
    return entry


def budgets(extraction: ExtractionResult, loads: list[LoadResult], incremental: LoadResult | None,
            incremental_base: int, queries: list[QueryResult], extraction_repeats: int = 1,
            incremental_repeats: int = 1, sql_latency: CliLatencyResult | None = None,
            one_line: OneLineResult | None = None, embedded=None) -> dict:
    out = extraction_budgets(extraction, extraction_repeats, one_line)
    if embedded is not None:
        n = len(embedded.fresh_runs)
        out["embedded_raw_fresh_load_seconds"] = _budget(embedded.fresh.wall_seconds, EMBEDDED_FRESH_LOAD_MAX_S, "s",
                                                         False, f"`qcity load` of raw/ into a new warehouse; median of {n}")
        out["embedded_raw_reload_seconds"] = _budget(embedded.reload.wall_seconds, EMBEDDED_RELOAD_MAX_S, "s", False,
                                                     f"the same load again, nothing changed; median of {n}")
    full = next((r for r in loads if r.documents == BUDGETED_LOAD_SIZE), None)
    if full is not None:
        out["full_load_10000_seconds"] = _budget(full.wall_seconds, FULL_LOAD_MAX_S, "s", False)
        out["full_load_10000_peak_rss_mb"] = _budget(full.peak_rss_bytes / 2**20, FULL_LOAD_MAX_RSS_MB, "MiB", False)
    if incremental is not None and incremental.documents == BUDGETED_INCREMENTAL and incremental_base == BUDGETED_LOAD_SIZE:
        out["incremental_100_into_10000_seconds"] = _budget(incremental.wall_seconds, INCREMENTAL_MAX_S, "s", False,
                                                            f"median of {incremental_repeats} runs")
    lookup = next((q for q in queries if q.name.startswith("metric_series")), None)
    if lookup is not None:
        out["metric_series_lookup_median_ms"] = _budget(lookup.median_ms, METRIC_SERIES_MAX_MS, "ms", False, lookup.note)
    if sql_latency is not None:
        entry = _budget(sql_latency.median_seconds, SQL_SMALL_QUERY_MAX_S, "s", False,
                        f"a fresh `qcity sql` process; median of {len(sql_latency.runs_seconds)} runs")
        if sql_latency.returncode != 0:  # a fast failure is no measure of a query
            entry.update(ok=False, note=entry["note"] + f"; FAILED with exit {sql_latency.returncode}")
        out["sql_small_query_seconds"] = entry
    return out


def extraction_budgets(extraction: ExtractionResult, extraction_repeats: int = 1,
                       one_line: OneLineResult | None = None) -> dict:
    out = {"extraction_chars_per_second": _budget(
        extraction.chars_per_cpu_second, EXTRACTION_MIN_CHARS_PER_S, "chars/s", True,
        f"one core: characters / process CPU seconds of extract_figures; median of {extraction_repeats} runs")}
    if one_line is not None:
        out["one_line_2mb_cpu_seconds"] = _budget(
            one_line.cpu_seconds, ONE_LINE_MAX_CPU_S, "s", False,
            f"extract_figures on one line of {one_line.chars:,} characters; median of {len(one_line.runs_cpu_seconds)} runs")
    return out


def extraction_json(extraction: ExtractionResult, extraction_runs: list[ExtractionResult],
                    one_line: OneLineResult | None = None) -> dict:
    out = {
        "documents": extraction.documents, "chars": extraction.chars, "utf8_bytes": extraction.utf8_bytes,
        "figures": extraction.figures, "cpu_seconds": round(extraction.cpu_seconds, 3),
        "wall_seconds": round(extraction.wall_seconds, 3),
        "chars_per_cpu_second": round(extraction.chars_per_cpu_second),
        "chars_per_wall_second": round(extraction.chars_per_wall_second),
        "region_resolution_ms_per_document": round(extraction.region_ms_per_doc, 3),
        "region_resolution_share_of_extraction": round(extraction.region_share, 3),
        "runs_chars_per_cpu_second": [round(r.chars_per_cpu_second) for r in extraction_runs],
        "bare_regex_pattern": BARE_NUMBER.pattern,
        "bare_regex_cpu_seconds": round(extraction.bare_regex_cpu_seconds, 3),
        "bare_regex_matches": extraction.bare_regex_matches,
        "bare_regex_chars_per_cpu_second": round(extraction.bare_regex_chars_per_cpu_second),
        "extraction_to_bare_regex_ratio": round(extraction.bare_regex_ratio, 4),
        "runs_extraction_to_bare_regex_ratio": [round(r.bare_regex_ratio, 4) for r in extraction_runs],
    }
    if one_line is not None:
        out["one_line"] = {"source": one_line.source, "chars": one_line.chars, "utf8_bytes": one_line.utf8_bytes, "figures": one_line.figures,
                           "cpu_seconds": round(one_line.cpu_seconds, 3),
                           "runs_cpu_seconds": [round(t, 3) for t in one_line.runs_cpu_seconds]}
    return out


def update_extraction(out_dir: Path, *, extraction: ExtractionResult, extraction_runs: list[ExtractionResult],
                      one_line: OneLineResult | None, sample_document: str) -> tuple[Path, Path]:
    """`python -m bench.run --only extraction`: replace the extraction figures and budgets of an existing
    results.json (the load and query figures stay those of the last full run) and render results.md again."""
    js = out_dir / "results.json"
    data = json.loads(js.read_text(encoding="utf-8"))
    data["extraction"] = extraction_json(extraction, extraction_runs, one_line)
    data["extraction"]["date"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data["extraction"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    rest = {k: v for k, v in data["budgets"].items() if k not in ("extraction_chars_per_second", "one_line_2mb_cpu_seconds")}
    data["budgets"] = {**extraction_budgets(extraction, len(extraction_runs), one_line), **rest}
    js.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md = out_dir / "results.md"
    md.write_text(_keep_fuzz_section(_markdown(data, sample_document), md), encoding="utf-8")
    return md, js


_FUZZ_START, _FUZZ_END = "<!-- fuzz:start -->", "<!-- fuzz:end -->"  # bench/fuzz.py's section


def _keep_fuzz_section(text: str, md: Path) -> str:
    """`text` with the fuzz section of the existing results.md (bench.fuzz writes it; re-rendering dropped it)."""
    old = md.read_text(encoding="utf-8") if md.exists() else ""
    start, end = old.find(_FUZZ_START), old.find(_FUZZ_END)
    if start < 0 or end < start or _FUZZ_START in text:
        return text
    return text.rstrip("\n") + "\n\n" + old[start:end + len(_FUZZ_END)] + "\n"


def write_results(out_dir: Path, *, extraction: ExtractionResult, loads: list[LoadResult],
                  incremental: LoadResult | None, incremental_base: int, queries: list[QueryResult],
                  seed: int, sources: int, elapsed: float, sample_document: str,
                  query_runs: int, extraction_runs: list[ExtractionResult] | None = None,
                  incremental_runs: list[LoadResult] | None = None,
                  sql_latency: CliLatencyResult | None = None,
                  one_line: OneLineResult | None = None, embedded=None,
                  load_runs: list[list[LoadResult]] | None = None) -> tuple[Path, Path]:
    """`extraction` and `incremental` are the median runs of `extraction_runs` and `incremental_runs`; each of
    `loads` is the median run of its size's `load_runs`, with the highest peak RSS of them."""
    load_runs = load_runs or [[r] for r in loads]
    extraction_runs = extraction_runs or [extraction]
    incremental_runs = incremental_runs or ([incremental] if incremental else [])
    out_dir.mkdir(parents=True, exist_ok=True)
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    host = machine()
    budget = budgets(extraction, loads, incremental, incremental_base, queries, len(extraction_runs),
                     len(incremental_runs), sql_latency, one_line, embedded)
    data = {
        "date": when,
        "machine": host,
        "seed": seed,
        "source_documents": sources,
        "elapsed_seconds": round(elapsed, 1),
        "budgets": budget,
        "extraction": extraction_json(extraction, extraction_runs, one_line),
        "embedded_raw": None if embedded is None else {
            "fresh_load": _load_json(embedded.fresh), "reload": _load_json(embedded.reload),
            "fresh_runs_wall_seconds": [round(r.wall_seconds, 2) for r in embedded.fresh_runs],
            "reload_runs_wall_seconds": [round(r.wall_seconds, 2) for r in embedded.reload_runs]},
        "full_loads": [dict(_load_json(r), runs_wall_seconds=[round(x.wall_seconds, 2) for x in runs],
                            runs_peak_rss_mb=[round(x.peak_rss_bytes / 2**20, 3) for x in runs])
                       for r, runs in zip(loads, load_runs)],
        "incremental_load": None if incremental is None else dict(
            _load_json(incremental), into=incremental_base,
            runs_wall_seconds=[round(r.wall_seconds, 2) for r in incremental_runs]),
        "query_runs": query_runs,
        "queries": [{"name": q.name, "sql": q.sql, "median_ms": round(q.median_ms, 3), "p95_ms": round(q.p95_ms, 3),
                     "rows": q.rows, "note": q.note} for q in queries],
        "sql_small_query": None if sql_latency is None else {
            "command": ["qcity", *sql_latency.args[:2], "--db", "<the largest warehouse>"],
            "median_seconds": round(sql_latency.median_seconds, 3),
            "runs_seconds": [round(t, 3) for t in sql_latency.runs_seconds],
            "median_cpu_seconds": round(sql_latency.median_cpu_seconds, 3),
            "returncode": sql_latency.returncode},
    }
    js = out_dir / "results.json"
    js.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md = out_dir / "results.md"
    md.write_text(_keep_fuzz_section(_markdown(data, sample_document), md), encoding="utf-8")
    return md, js


def _load_json(r: LoadResult) -> dict:
    return {"documents": r.documents, "corpus_bytes": r.corpus_bytes, "wall_seconds": round(r.wall_seconds, 2),
            "cpu_seconds": round(r.cpu_seconds, 2), "peak_rss_mb": round(r.peak_rss_bytes / 2**20, 3),
            "ms_per_document": round(r.ms_per_document, 2), "returncode": r.returncode,
            "step_seconds": {k: round(v, 2) for k, v in r.step_seconds.items()}}


_LABELS = {
    "extraction_chars_per_second": ("Extraction throughput, one core", "≥"),
    "one_line_2mb_cpu_seconds": ("One 2 MB line (issue 15), `extract_figures` CPU time", "≤"),
    "embedded_raw_fresh_load_seconds": ("Fresh load of raw/ (15 documents), wall time", "≤"),
    "embedded_raw_reload_seconds": ("Reload of raw/ with nothing changed, wall time", "≤"),
    "full_load_10000_seconds": ("Full load, 10,000 documents, wall time", "≤"),
    "full_load_10000_peak_rss_mb": ("Full load, 10,000 documents, peak RSS", "≤"),
    "incremental_100_into_10000_seconds": ("Incremental load, 100 new into 10,000", "≤"),
    "metric_series_lookup_median_ms": ("metric_series lookup by region and metric, median", "≤"),
    "sql_small_query_seconds": ("`qcity sql` on a small query, a fresh process, median", "≤"),
}


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def _markdown(d: dict, sample_document: str) -> str:
    m, e = d["machine"], d["extraction"]
    lines = [
        "# qcity benchmarks",
        "",
        f"Run {d['date']} on `{m['host']}`: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, "
        f"Python {m['python']}, {m['os']}; load average at the end {m['load_average_at_end']} "
        "(the machine is shared: wall times include waiting for a core).",
        f"Command: `make bench` (`.venv/bin/python -m bench.run`), seed {d['seed']}, {d['source_documents']} real "
        f"source documents, {d['elapsed_seconds']:.0f} s in all. Where the time goes and what was fixed: "
        "`bench/profile.md`.",
        "",
        "## Budgets",
        "",
        "| figure | value | budget | ok |",
        "|---|---:|---:|:--:|",
    ]
    for key, b in d["budgets"].items():
        label, sign = _LABELS.get(key, (key, ""))
        lines.append(f"| {label} | {_num(b['value'])} {b['unit']} | {sign} {_num(b['budget'])} {b['unit']} | "
                     f"{'yes' if b['ok'] else '**NO**'} |")
    lines += [
        "",
        "## Extraction",
        "",
        f"`extraction.engine.extract_figures`, one document at a time in one process, over the real documents "
        f"repeated to {e['utf8_bytes']:,} UTF-8 bytes ({e['documents']:,} documents, {e['chars']:,} characters, "
        f"{e['figures']:,} figures):",
        "",
        f"- {e['chars_per_cpu_second']:,} characters per CPU second ({e['cpu_seconds']} s CPU); "
        f"{e['chars_per_wall_second']:,} per wall second ({e['wall_seconds']} s wall) — the median of "
        f"{len(e['runs_chars_per_cpu_second'])} runs: " + ", ".join(f"{v:,}" for v in e["runs_chars_per_cpu_second"]) + ".",
        f"- Region resolution (`resolve_document_region`, which the engine calls once per document): "
        f"{e['region_resolution_ms_per_document']} ms per document, "
        f"{100 * e['region_resolution_share_of_extraction']:.0f}% of the extraction time.",
    ]
    if "bare_regex_cpu_seconds" in e:
        lines.append(
            f"- A bare regex pass over the same documents (one `re.finditer` of `{e['bare_regex_pattern']}`, every "
            f"match visited: {e['bare_regex_matches']:,} matches): {e['bare_regex_chars_per_cpu_second']:,} characters "
            f"per CPU second ({e['bare_regex_cpu_seconds']} s CPU). Extraction runs at "
            f"{e['extraction_to_bare_regex_ratio']:.4f} of its throughput (1 : {1 / e['extraction_to_bare_regex_ratio']:.0f}); "
            "per run: " + ", ".join(f"{r:.4f}" for r in e["runs_extraction_to_bare_regex_ratio"]) + ".")
    if e.get("one_line"):
        o = e["one_line"]
        lines.append(
            f"- One line of {o['chars']:,} characters ({o['utf8_bytes']:,} UTF-8 bytes: `{o['source']}` with its "
            f"line breaks removed, repeated; `bench/measure.py one_line_text`): {o['cpu_seconds']} s CPU, "
            f"{o['figures']:,} figures — the median of {len(o['runs_cpu_seconds'])} runs: "
            + ", ".join(f"{t} s" for t in o["runs_cpu_seconds"]) + ".")
    if e.get("date"):
        lines.append(f"- This section: `python -m bench.run --only extraction`, {e['date']}, load average at the end "
                     f"{e['load_average_at_end']}; the other sections are those of the last full run.")
    lines += [
        "",
        "## Full load: cost per document as N grows",
        "",
        f"Synthetic corpora (`bench/corpus.py`: documents like `{sample_document}` recombine the paragraphs of the "
        "real ones, numbers varied, seeded) loaded end to end by a subprocess `qcity load --raw DIR --db DB` into a "
        "fresh DuckDB; peak RSS is the child's, polled every 50 ms.",
        "",
        "| documents | corpus MB | wall s | CPU s | ms / document | peak RSS MiB | ingest s | extract s | clean s | load + checks s | report s | exit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:--:|",
    ]
    rows = d["full_loads"] + ([dict(d["incremental_load"], label=f"+{d['incremental_load']['documents']} into "
                                    f"{d['incremental_load']['into']:,}")] if d["incremental_load"] else [])
    if d.get("embedded_raw"):
        rows += [dict(d["embedded_raw"]["fresh_load"], label="raw/, fresh"),
                 dict(d["embedded_raw"]["reload"], label="raw/, nothing changed")]
    for r in rows:
        steps = r["step_seconds"]
        lines.append(
            f"| {r.get('label', format(r['documents'], ','))} | {r['corpus_bytes'] / 1e6:.1f} | {r['wall_seconds']:.1f} | "
            f"{r['cpu_seconds']:.1f} | {r['ms_per_document']:.1f} | {r['peak_rss_mb']:.0f} | "
            f"{steps.get('raw_documents', 0):.1f} | {steps.get('figures', 0):.1f} | {steps.get('figures_clean', 0):.1f} | "
            f"{steps.get('warehouse_tables', 0):.1f} | {steps.get('analyst_report', 0):.1f} | {r['returncode']} |")
    repeated = [r for r in d["full_loads"] if len(r.get("runs_wall_seconds", [])) > 1]
    if repeated:
        lines += ["", f"Each full-load row is the median of {len(repeated[0]['runs_wall_seconds'])} runs by wall time, "
                  "each into a fresh warehouse, with the highest peak RSS of them: " + "; ".join(
                      f"{r['documents']:,}: " + ", ".join(f"{w:.1f} s" for w in r["runs_wall_seconds"]) + " ("
                      + ", ".join(f"{m:.0f}" for m in r["runs_peak_rss_mb"]) + " MiB)" for r in repeated) + "."]
    if d["incremental_load"]:
        walls = d["incremental_load"]["runs_wall_seconds"]
        lines += ["", f"The incremental row is the median of {len(walls)} runs, each adding the same documents to a "
                  "copy of the same warehouse: " + ", ".join(f"{w:.1f} s" for w in walls) + "."]
    full = d["full_loads"]
    if len(full) > 1:
        steps = [f"{a['documents']:,} → {b['documents']:,}: "
                 f"{1000 * (b['wall_seconds'] - a['wall_seconds']) / (b['documents'] - a['documents']):.1f} ms"
                 for a, b in zip(full, full[1:])]
        lines += ["", "Marginal wall time per added document (the fixed cost of a run — start-up, Dagster's "
                  "events, the checks across whole tables, the report — drops out): " + "; ".join(steps) + "."]
    lines += [
        "",
        "Stage columns are Dagster step durations (`STEP_SUCCESS` events); \"load + checks\" is the "
        "`warehouse_tables` step, which merges the staged load and then runs the warehouse checks (with Polars; "
        "Great Expectations validates them apart, in `warehouse_validation_job`); \"report\" is the `analyst_report` asset. A reload with nothing changed starts no Dagster run "
        "(`orchestration/loading.py` record_if_nothing_to_load): its stage columns are empty. Wall time also includes Python start-up, imports and building the "
        "Definitions (a few seconds). CPU s is the child's user + system time: above wall time when extraction "
        "runs in worker processes (batches of 400+ documents, one worker per core up to four; `extraction/batch.py`).",
        "",
        f"## Query latency (median of {d['query_runs']} runs, warm, read-only connection)",
        "",
        "| query | median ms | p95 ms | rows | note |",
        "|---|---:|---:|---:|---|",
    ]
    for q in d["queries"]:
        lines.append(f"| {q['name']} | {q['median_ms']:.2f} | {q['p95_ms']:.2f} | {q['rows']} | {q['note']} |")
    lines += ["", "```sql"] + [f"-- {q['name']}\n{q['sql']};" for q in d["queries"]] + ["```", ""]
    sql = d.get("sql_small_query")
    if sql:
        lines += [
            "## `qcity sql` on a small query",
            "",
            f"`{' '.join(sql['command'][:2])} \"{sql['command'][2]}\"` as a fresh process (interpreter start-up and "
            f"imports included; it imports neither Dagster nor Great Expectations), exit {sql['returncode']}: "
            f"median {sql['median_seconds']:.3f} s over {len(sql['runs_seconds'])} runs "
            "(" + ", ".join(f"{t:.3f}" for t in sql["runs_seconds"]) + " s), after one warm-up run; "
            f"median CPU time (user + system) {sql['median_cpu_seconds']:.3f} s.",
            "",
        ]
    return "\n".join(lines)
