"""Issue 15: no input stops the rest of a load, nothing wrong gets in silently — through the real `qcity`
CLI on real DuckDB files, and the extraction batch with real documents."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, write_raw

QCITY = str(Path(sys.executable).with_name("qcity"))

GOOD = "海门市2020年上半年完成地区生产总值410亿元,同比增长8.8%。"
HUGE_GDP = "如皋市2020年地区生产总值9999999亿元,增长3.1%。"
PART_ABOVE_GDP = "泰兴市2020年地区生产总值1000亿元,其中第二产业增加值2000亿元,一般公共预算收入35亿元。"
FOUR_HUNDRED_DIGITS = "海安市2020年地区生产总值" + "9" * 400 + "亿元,增长5%。"


def qcity(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([QCITY, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})})


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ---- one load with every kind of bad input: exit 3, the good documents in, each problem recorded ----------
@pytest.fixture(scope="module")
def mixed_load(tmp_path_factory):
    base = tmp_path_factory.mktemp("mixed")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("秘密市2020年地区生产总值5亿元。", encoding="utf-8")
    raw = write_raw(base / "raw", {
        "good.txt": GOOD,
        "huge_gdp.txt": HUGE_GDP,
        "part_above.txt": PART_ABOVE_GDP,
        "digits.txt": FOUR_HUNDRED_DIGITS,
        "utf16.txt": "启东市2020年一般公共预算收入35亿元。".encode("utf-16"),
        "late_nul.txt": ("如东县2020年地区生产总值1100亿元。" * 400).encode("utf-8") + b"\x00",
        # GB18030, not UTF-8: read with the documents' decoder, and said so
        "manifest.csv": "file,url,title,published\ngood.txt,http://example.gov.cn/1,海门通报,2020-07-20\n".encode("gb18030"),
    })
    (raw / "linked").symlink_to(outside, target_is_directory=True)
    db = base / "w.duckdb"
    run = qcity("load", "--raw", str(raw), "--db", str(db))
    return run, raw, db


def test_a_load_with_bad_input_succeeds_with_exit_3_and_no_traceback(mixed_load):
    run, _, _ = mixed_load
    assert run.returncode == 3, run.stdout + run.stderr
    assert ": succeeded" in run.stdout and "Traceback" not in run.stderr


@pytest.mark.parametrize("line", [
    "quarantined: gdp_total_yearly_within_1e8_3e14_yuan: huge_gdp.txt: 「如皋市2020年地区生产总值9999999亿元」 value 1e+07 亿元",
    "quarantined: gdp_part_not_above_total: part_above.txt: 「第二产业增加值2000亿元」 value 2000 亿元 (canonical 2e+11)",
    "rejected: late_nul.txt: binary content",
    "rejected: linked: path resolves outside raw/",
    "manifest line 0 (manifest.csv): manifest is gb18030, not UTF-8",
])
def test_the_cli_prints_rule_file_quote_and_values_of_what_it_set_aside(mixed_load, line):
    run, _, _ = mixed_load
    assert line in run.stdout, run.stdout


@pytest.mark.parametrize("file, expectation", [
    ("huge_gdp.txt", "gdp_total_yearly_within_1e8_3e14_yuan"),
    ("part_above.txt", "gdp_part_not_above_total"),
])
def test_a_subject_fact_failure_quarantines_the_figure_and_its_document_loads(mixed_load, file, expectation):
    _, _, db = mixed_load
    assert rows(db, "SELECT expectation FROM quarantined_figures WHERE file = ? AND resolved_at IS NULL", [file]) \
        == [(expectation,)]
    assert rows(db, "SELECT count(*) FROM dim_document WHERE file = ? AND retired_at IS NULL", [file]) == [(1,)]
    kept = rows(db, "SELECT count(*) FROM fact_figure WHERE file = ? AND retired_at IS NULL", [file])[0][0]
    assert kept >= 1  # the document's other figures (增长3.1%, the GDP total, the revenue) are in


def test_the_other_documents_load(mixed_load):
    _, _, db = mixed_load
    assert [r[0] for r in rows(db, "SELECT file FROM dim_document WHERE retired_at IS NULL ORDER BY file")] == \
        ["digits.txt", "good.txt", "huge_gdp.txt", "part_above.txt", "utf16.txt"]


def test_a_number_beyond_a_double_is_not_a_figure_and_nothing_non_finite_is_stored(mixed_load):
    _, _, db = mixed_load
    assert rows(db, "SELECT value, unit_zh FROM fact_figure WHERE file = 'digits.txt'") == [(5.0, "%")]
    assert rows(db, "SELECT count(*) FROM fact_figure WHERE NOT isfinite(value) OR NOT isfinite(value_canonical)") \
        == [(0,)]


def test_utf16_with_a_bom_loads_and_a_gb18030_manifest_applies(mixed_load):
    _, _, db = mixed_load
    assert rows(db, "SELECT encoding FROM dim_document WHERE file = 'utf16.txt'") == [("utf_16",)]
    assert rows(db, "SELECT value FROM fact_figure WHERE file = 'utf16.txt'") == [(35.0,)]
    assert rows(db, "SELECT url, title FROM dim_document WHERE file = 'good.txt'") == [("http://example.gov.cn/1", "海门通报")]


def test_check_lists_open_quarantine_and_rejects_and_exits_1(mixed_load, tmp_path):
    _, raw, db = mixed_load
    run = qcity("check", "--db", str(db), "--docs", str(tmp_path / "docs"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "QUARANTINED [ERROR] gdp_total_yearly_within_1e8_3e14_yuan: huge_gdp.txt: 「如皋市2020年地区生产总值9999999亿元」" \
        in run.stdout
    assert "REJECTED late_nul.txt: binary content" in run.stdout
    assert "2 quarantined figure(s) open under ERROR rules" in run.stderr and "Traceback" not in run.stderr


def test_a_corrected_document_closes_its_quarantine_and_the_rows_are_kept(mixed_load, tmp_path):
    _, raw, db = mixed_load
    raw_copy, db_copy = tmp_path / "raw", tmp_path / "w.duckdb"
    shutil.copytree(raw, raw_copy, symlinks=True)
    shutil.copy(db, db_copy)
    (raw_copy / "huge_gdp.txt").write_text(HUGE_GDP.replace("9999999", "999"), encoding="utf-8")
    run = qcity("load", "--raw", str(raw_copy), "--db", str(db_copy))
    assert run.returncode == 3, run.stdout + run.stderr  # part_above.txt and the rejects are still there
    assert "1 changed" in run.stdout and "huge_gdp.txt" not in run.stdout.split("rows:")[1]
    closed = rows(db_copy, "SELECT expectation, resolved_at IS NOT NULL FROM quarantined_figures WHERE file = 'huge_gdp.txt'")
    assert closed == [("gdp_total_yearly_within_1e8_3e14_yuan", True)]
    assert rows(db_copy, "SELECT count(*) FROM fact_figure WHERE file = 'huge_gdp.txt' AND retired_at IS NOT NULL") \
        [0][0] >= 1  # the old version's figures are retired, not deleted
    assert rows(db_copy, "SELECT value FROM fact_figure WHERE file = 'huge_gdp.txt' AND retired_at IS NULL "
                         "AND unit_zh = '亿元'") == [(999.0,)]


# ---- the manifest: unreadable, and changed --------------------------------------------------------------
def test_a_binary_manifest_is_a_manifest_problem_and_the_documents_load(tmp_path):
    raw = write_raw(tmp_path / "raw", {"good.txt": GOOD, "manifest.csv": bytes(range(256)) * 4})
    run = qcity("load", "--raw", str(raw), "--db", str(tmp_path / "w.duckdb"))
    assert run.returncode == 3, run.stdout + run.stderr
    assert "manifest line 0 (manifest.csv): manifest is not readable text (binary content" in run.stdout
    assert rows(tmp_path / "w.duckdb", "SELECT file FROM dim_document") == [("good.txt",)]


def test_a_manifest_only_change_re_extracts_its_document(tmp_path):
    raw = write_raw(tmp_path / "raw", {"good.txt": "海门市今年上半年完成地区生产总值410亿元。", "other.txt": GOOD})
    db = tmp_path / "w.duckdb"
    first = qcity("load", "--raw", str(raw), "--db", str(db))
    assert first.returncode == 0 and "2 new" in first.stdout, first.stdout + first.stderr
    assert rows(db, "SELECT period FROM fact_figure WHERE file = 'good.txt'") != [("2020H1",)]
    (raw / "manifest.csv").write_text("file,url,title,published\ngood.txt,,,2020-07-20\n", encoding="utf-8")
    second = qcity("load", "--raw", str(raw), "--db", str(db))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 new, 1 changed" in second.stdout  # other.txt: same bytes, same (no) manifest row: unchanged
    assert rows(db, "SELECT published::VARCHAR FROM dim_document WHERE file = 'good.txt' AND retired_at IS NULL") \
        == [("2020-07-20",)]
    assert rows(db, "SELECT period FROM fact_figure WHERE file = 'good.txt' AND retired_at IS NULL") == [("2020H1",)]
    third = qcity("load", "--raw", str(raw), "--db", str(db))
    assert "0 new, 0 changed" in third.stdout, third.stdout


def test_a_byte_identical_copy_keeps_the_loaded_file_and_its_own_manifest_row(tmp_path):
    raw = write_raw(tmp_path / "raw", {"z_original.txt": GOOD,
                                       "manifest.csv": "file,url,title,published\nz_original.txt,http://example.gov.cn/z,,\n"})
    db = tmp_path / "w.duckdb"
    assert qcity("load", "--raw", str(raw), "--db", str(db)).returncode == 0
    (raw / "a_copy.txt").write_text(GOOD, encoding="utf-8")  # sorts first; has no manifest row
    run = qcity("load", "--raw", str(raw), "--db", str(db))
    assert run.returncode == 3, run.stdout + run.stderr
    assert "rejected: a_copy.txt: same bytes as z_original.txt" in run.stdout
    assert rows(db, "SELECT file, url FROM dim_document WHERE retired_at IS NULL") == \
        [("z_original.txt", "http://example.gov.cn/z")]


# ---- the time budget, and retrying a rejected document --------------------------------------------------
SLOW = "1%" * 6000  # one sentence of 6,000 figures: about 1 s (periods.year_range rescans the sentence per figure)


def test_a_document_over_the_budget_is_rejected_and_only_retries_it(tmp_path):
    raw = write_raw(tmp_path / "raw", {"good.txt": GOOD, "slow.txt": "海门市" + SLOW})
    db = tmp_path / "w.duckdb"
    run = qcity("load", "--raw", str(raw), "--db", str(db), env={"QCITY_DOC_SECONDS": "0.05"})
    assert run.returncode == 3, run.stdout + run.stderr
    assert "rejected: slow.txt: extraction took over the 0.05s budget (QCITY_DOC_SECONDS); not loaded" in run.stdout
    assert rows(db, "SELECT file FROM dim_document") == [("good.txt",)]
    retry = qcity("load", "--raw", str(raw), "--db", str(db), "--only", "slow.txt")
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert "1 new" in retry.stdout
    assert rows(db, "SELECT count(*) > 1000 FROM fact_figure WHERE file = 'slow.txt'") == [(True,)]
    assert rows(db, "SELECT resolved_at IS NOT NULL FROM rejected_documents WHERE file = 'slow.txt'") == [(True,)]


def _raw_doc(file: str, text):
    from extraction.sources import RawDocument

    return RawDocument(file, f"sha-{file}", 1, "utf_8", text)


def _one_line(file: str = "s02.txt") -> str:
    """A real document of raw/ (a county's statistical bulletin, the densest in figures) with its line breaks
    removed: repeated, issue 15's "2 MB line" (bench/measure.py one_line_text times the same input)."""
    return (ROOT / "raw" / file).read_text(encoding="utf-8").replace("\r", "").replace("\n", "")


ONE_LINE_CHARS = 2_000_000 // 3

_HAIMEN = "海门市2020年上半年完成地区生产总值410亿元,同比增长8.8%,"  # two figures
_REAL_ONE_LINE = (_one_line() * (ONE_LINE_CHARS // len(_one_line()) + 1))[:ONE_LINE_CHARS]
PATHOLOGICAL = [  # the inputs of issue 15, and the figures each gives when read to its end
    ("ones_100k", "1" * 100_000, 0),  # a number beyond a double is no figure
    ("one_line_2mb", (_HAIMEN * 50_000)[:ONE_LINE_CHARS], 2 * (ONE_LINE_CHARS // len(_HAIMEN)) + 1),  # + 410亿元 of the cut copy
    ("yi_50k", "亿" * 50_000, 0),
    ("one_percent_30k", "1%" * 30_000, 30_000),
    ("newlines_100k", "\n" * 100_000, 0),
    ("digits_400", FOUR_HUNDRED_DIGITS, 1),  # 增长5%; the 400 digits are no figure
    # rules that once rescanned a sentence, a run of numerals or the blank lines after every line
    ("numerals_40k", "一" * 40_000, 0),
    ("goal_list_20k", "1.到2020年,合格率达到95%。\n" * 20_000, 20_000),
    ("year_spans_20k", "2015至2017年占比分别达到3.5%" * 20_000, 20_000),
    ("spaces_10k", " " * 10_000, 0),
    # a real document as one line of ~666,000 characters: cue look-ups once walked the whole paragraph (= text);
    # at least its whole copies' figures (test_a_real_document_as_one_2mb_line_… checks them copy by copy)
    ("real_one_line_2mb", _REAL_ONE_LINE, None),
]
BUDGET_S = 2.0  # issue 15's bar, per input, in CPU seconds: bench/results.md measures it ("One 2 MB line")
# What this test asserts: a regression guard, not the bar. CPU time on a loaded 2-core CI machine runs up to
# ~1.5x a quiet one's (other jobs share the cores and caches), and the largest inputs sit near the bar; a
# rule that rescans a sentence or the text per figure takes minutes here, far beyond the guard.
CPU_GUARD_S = 3 * BUDGET_S


@pytest.mark.parametrize("name, text, figures", PATHOLOGICAL, ids=[p[0] for p in PATHOLOGICAL])
def test_a_pathological_input_is_read_to_its_end_within_the_cpu_guard(name, text, figures, monkeypatch):
    """The budget set high: every input is extracted, not rejected by it, and gives all its figures."""
    from extraction.batch import extract_documents

    monkeypatch.setenv("QCITY_DOC_SECONDS", "600")
    extract_documents([_raw_doc("warm-up.txt", GOOD)])  # lexicons and gazetteer load once per process
    cpu = time.process_time()
    batch = extract_documents([_raw_doc(f"{name}.txt", text)])  # main thread: in this process
    cpu = time.process_time() - cpu
    assert batch.failures == []
    if figures is None:
        one = _one_line()
        figures = len(extract_documents([_raw_doc("s02.txt", one)]).rows) * (ONE_LINE_CHARS // len(one))
        assert len(batch.rows) >= figures
    else:
        assert len(batch.rows) == figures
    assert all(abs(r["value"]) < float("inf") for r in batch.rows)
    assert cpu <= CPU_GUARD_S, f"{name}: {cpu:.2f} CPU s for {len(text):,} characters (issue 15's bar: {BUDGET_S:g} s)"


def test_an_input_over_the_budget_is_rejected_by_it(monkeypatch):
    """The budget still stops a document that takes too long (here a tight one for the longest input)."""
    from extraction.batch import extract_documents

    monkeypatch.setenv("QCITY_DOC_SECONDS", "0.2")
    started = time.monotonic()
    batch = extract_documents([_raw_doc("one_line_2mb.txt", (_HAIMEN * 50_000)[:ONE_LINE_CHARS])])
    assert time.monotonic() - started < 0.2 + 3, "the budget did not stop it"
    assert [r for _, _, r in batch.failures] == \
        ["extraction took over the 0.2s budget (QCITY_DOC_SECONDS); not loaded"]
    assert batch.rows == []


def test_a_real_document_as_one_2mb_line_gives_its_figures_once_per_copy():
    """No budget and no clock: the whole line is read (every copy of the document gives the same figures as the
    document alone), which a rule that rescans the paragraph, here the whole text, for each figure would not
    finish in a test's time. Its CPU time is bench/results.md's ("One 2 MB line")."""
    from extraction.engine import extract_figures
    from extraction.models import Document

    one = _one_line()
    copies = ONE_LINE_CHARS // len(one)

    def read(doc):
        return [(f.value, f.value_max, f.unit_zh, f.category, f.qualifier) for f in extract_figures(doc)]

    single = read(Document("s02.txt", one))
    assert len(single) > 40
    assert read(Document("one_line.txt", one * copies)) == single * copies


def test_the_budget_holds_in_worker_processes_too():
    """Called off the main thread (where no timer can be set), the batch runs in a worker process."""
    from extraction.batch import extract_documents

    out = {}
    env = os.environ.get("QCITY_DOC_SECONDS")
    os.environ["QCITY_DOC_SECONDS"] = "0.05"
    try:
        thread = threading.Thread(target=lambda: out.update(batch=extract_documents(
            [_raw_doc("slow.txt", SLOW), _raw_doc("good.txt", GOOD)])))
        thread.start()
        thread.join(120)
    finally:
        os.environ.pop("QCITY_DOC_SECONDS") if env is None else os.environ.__setitem__("QCITY_DOC_SECONDS", env)
    batch = out["batch"]
    assert [(f, r.split(" budget")[0]) for f, _, r in batch.failures] == [("slow.txt", "extraction took over the 0.05s")]
    assert {r["file"] for r in batch.rows} == {"good.txt"}


# ---- an extractor exception is a rejection with type, message and where ---------------------------------
def refuse_unnamed_regions(doc):
    """A real rule a project could add on top of the engine: figures must name their region."""
    from extraction.engine import extract_figures

    figures = extract_figures(doc)
    unnamed = [f for f in figures if not f.region_zh]
    if unnamed:
        raise ValueError(f"{len(unnamed)} figures without a region in {doc.name}")
    return figures


def test_an_extractor_exception_is_recorded_with_type_message_and_where():
    from extraction.batch import extract_documents

    batch = extract_documents([_raw_doc("good.txt", GOOD), _raw_doc("nowhere.txt", "地区生产总值410亿元。")],
                              extractor=refuse_unnamed_regions)
    assert {r["file"] for r in batch.rows} == {"good.txt"}
    [(file, _, reason)] = batch.failures
    assert file == "nowhere.txt"
    import inspect

    source, first = inspect.getsourcelines(refuse_unnamed_regions)
    line = first + next(i for i, text in enumerate(source) if "raise ValueError" in text)
    assert reason == (f"extractor error: ValueError: 1 figures without a region in nowhere.txt "
                      f"at tests/test_reliability.py:{line} (refuse_unnamed_regions)")


def test_the_engine_raising_on_a_document_it_cannot_read_is_a_rejection():
    """The real engine, no extractor given: text that is not a str (a caller's bug) raises inside it."""
    from extraction.batch import extract_documents

    batch = extract_documents([_raw_doc("bytes.txt", GOOD.encode("utf-8")), _raw_doc("good.txt", GOOD)])
    [(file, _, reason)] = batch.failures
    assert file == "bytes.txt" and reason.startswith("extractor error: TypeError: ") and " at extraction/" in reason
    assert {r["file"] for r in batch.rows} == {"good.txt"}


# ---- stopped, busy, and a warehouse without a load -------------------------------------------------------
def test_check_on_a_warehouse_whose_first_load_failed_says_so_in_one_line(tmp_path):
    from warehouse.io import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()  # what a failed first load leaves: the migrated, empty tables
    run = qcity("check", "--db", str(db), "--docs", str(tmp_path / "docs"))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"Error: {db} holds no completed load (its first load failed or never ran): run `qcity load`"]
