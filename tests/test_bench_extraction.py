"""`python -m bench.run --only extraction`: the extraction section alone, with its bare regex yardstick and
issue 15's one-line input, written into an existing results.json / results.md."""
from __future__ import annotations

import json
import shutil

from bench import run as bench_run
from bench.measure import BARE_NUMBER, bare_regex_pass, one_line_text
from bench.corpus import default_source_dirs, load_sources
from tests.conftest import ROOT


def test_only_extraction_updates_its_section_and_keeps_the_rest(tmp_path):
    shutil.copy(ROOT / "bench" / "results.json", tmp_path / "results.json")
    before = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    code = bench_run.main(["--only", "extraction", "--extraction-bytes", "30000", "--repeats", "1",
                           "--one-line-chars", "20000", "--out-dir", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    e = data["extraction"]
    assert e["bare_regex_pattern"] == BARE_NUMBER.pattern and e["bare_regex_matches"] > 0
    assert 0 < e["extraction_to_bare_regex_ratio"] < 1  # the rules cost more than one scan
    assert e["one_line"]["chars"] == 20000 and e["one_line"]["figures"] > 0
    assert data["budgets"]["extraction_chars_per_second"]["budget"] == 1_000_000
    assert data["budgets"]["one_line_2mb_cpu_seconds"]["budget"] == 2.0
    for key in ("full_loads", "incremental_load", "queries", "sql_small_query"):
        assert data[key] == before[key]  # the load and query figures stay those of the last full run
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "Extraction throughput, one core" in md and "≥ 1,000,000 chars/s" in md
    assert "A bare regex pass over the same documents" in md and "One line of 20,000 characters" in md


def test_the_one_line_input_is_one_real_document_without_line_breaks():
    sources = load_sources(default_source_dirs(ROOT))
    text = one_line_text(sources, 50_000)
    assert len(text) == 50_000 and "\n" not in text
    assert text.startswith((ROOT / "raw" / "s02.txt").read_text(encoding="utf-8").replace("\n", "")[:100])
    seconds, matches = bare_regex_pass([text])
    assert seconds >= 0 and matches == len(BARE_NUMBER.findall(text))
