"""The analyst report: built from the seed load, opened in headless Chromium; the PNG plot; the display rules."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from markupsafe import escape

from tests.conftest import ROOT
from warehouse.reporting.charts import HOVER_QUOTES, chart_spec, plotly_figure, target_text
from warehouse.reporting.display import format_value, scale_for

QCITY = [str(ROOT / ".venv" / "bin" / "qcity")] if (ROOT / ".venv" / "bin" / "qcity").exists() else \
    [sys.executable, "-m", "orchestration.cli"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium hangs on a closed network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]
CONSOLE_LINE = re.compile(r":CONSOLE[:(].*")
MAIN_SVG = '<svg class="main-svg"'


def qcity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*QCITY, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def chromium(page: Path, profile: Path, *args: str, budget_ms: int = 5000) -> subprocess.CompletedProcess:
    """Chromium on the page; budget_ms of virtual time for its scripts (timers run without real waiting)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make report-prereqs` (apt-get install chromium fonts-noto-cjk)")
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                           *args, page.resolve().as_uri()], capture_output=True, text=True, timeout=180)


def console_messages(stderr: str) -> list[str]:
    """Whatever the page wrote to the console (errors, uncaught exceptions): the report writes nothing."""
    return [m.group(0) for m in CONSOLE_LINE.finditer(stderr)]


def distinct_colours(png: Path) -> tuple[tuple[int, int], int]:
    """(width, height) and the number of distinct RGB values of a PNG."""
    import matplotlib.image as mpimg
    import numpy as np

    pixels = mpimg.imread(png)[..., :3]
    flat = (pixels.reshape(-1, 3) * 255).round().astype(np.uint8)
    return (pixels.shape[1], pixels.shape[0]), len(np.unique(flat, axis=0))


@pytest.fixture(scope="module")
def report(seed_load, tmp_path_factory):
    """`qcity report` over the seed warehouse: (index.html path, CLI output, db path)."""
    _, db_path, _ = seed_load
    out = tmp_path_factory.mktemp("report")
    done = qcity("report", "--db", str(db_path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out / "index.html", done.stdout, db_path


@pytest.fixture(scope="module")
def rendered(report, tmp_path_factory):
    """The report after Chromium ran its scripts: (DOM, stderr)."""
    page, _, _ = report
    done = chromium(page, tmp_path_factory.mktemp("chrome-dom"), "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def test_report_is_self_contained(report):
    page, stdout, _ = report
    html = page.read_text(encoding="utf-8")
    assert "wrote" in stdout and str(page.name) in stdout
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"?https?://", html), "the report loads something from the network"
    assert html.count("<script") > 1 and "Plotly.newPlot" in html   # plotly.js inlined, then one call per chart


def test_report_covers_every_region_series_and_target(report, read_db):
    page, _, db_path = report
    html = page.read_text(encoding="utf-8")
    regions = {r[0] for r in read_db(db_path, "SELECT region_zh FROM metric_series WHERE catalogued "
                                             "UNION SELECT region_zh FROM target_progress UNION SELECT region_zh FROM undated_targets")}
    assert regions and all(f'id="region-{r}"' in html for r in regions)
    # a chart per series with two years or more (a single year is a compact row: tests/test_report_analyst.py)
    charts = read_db(db_path, "SELECT count(*) FROM (SELECT region_zh, series_key FROM metric_series GROUP BY ALL "
                              "HAVING count(*) > 1)")[0][0]
    assert html.count('class="plotly-graph-div"') == charts > 0
    # the latest GDP of a region, with the sentence it came from
    region, quote = read_db(db_path, "SELECT region_zh, quote FROM series_figure WHERE metric_id = 'gdp.total' "
                                     "ORDER BY year DESC, region_zh LIMIT 1")[0]
    section = html.split(f'id="region-{region}"')[1].split('<section')[0]
    assert "地区生产总值" in section and str(escape(quote)) in section
    # a target restated by several documents is one row (its first sources listed, the rest counted)
    targets = read_db(db_path, """
        SELECT count(*) FROM (SELECT DISTINCT region_zh, series_key, metric_id, period, target_year, target_value_canonical,
                                              target_value_max_canonical, target_qualifier, unit_canonical, attained
                              FROM (SELECT * FROM target_progress UNION ALL BY NAME
                                    SELECT *, 'undated' AS attained FROM undated_targets) WHERE region_zh IS NOT NULL)""")[0][0]
    assert html.count('class="badge ') == targets


def test_report_data_quality_section(report, read_db):
    page, _, db_path = report
    html = page.read_text(encoding="utf-8")
    quality = html.split('id="quality"')[1]
    run_id = read_db(db_path, "SELECT run_id FROM load_runs ORDER BY started_at DESC LIMIT 1")[0][0]
    assert f"运行 {run_id}" in quality
    assert 'id="checks-error"' not in quality, "the expectation suites did not run"
    assert quality.count('<td class="PASS">') + quality.count('<td class="FAIL">') > 5
    quarantined = read_db(db_path, "SELECT count(*) FROM quarantined_figures WHERE resolved_at IS NULL")[0][0]
    assert f"隔离的数字（{quarantined}）" in quality
    rejected = read_db(db_path, "SELECT count(*) FROM rejected_documents")[0][0]
    assert f"拒收的文件（{rejected}）" in quality


def test_report_renders_in_chromium_without_console_errors(report, rendered):
    page, _, _ = report
    dom, stderr = rendered
    assert console_messages(stderr) == []
    charts = page.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert dom.count(MAIN_SVG) >= charts > 0, "plotly did not draw every chart"
    # non-empty: the series lines and points were drawn, not just axes
    assert len(re.findall(r'class="js-line" d="M[^"]+"', dom)) > charts // 2
    assert dom.count('class="point"') > charts


def test_console_detector_catches_a_broken_page(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<html><body><script>throw new Error("boom")</script></body></html>', encoding="utf-8")
    done = chromium(page, tmp_path / "profile", "--dump-dom")
    assert any("Uncaught Error: boom" in m for m in console_messages(done.stderr))


def test_report_screenshot_is_not_blank(report, tmp_path):
    page, _, _ = report
    shot = tmp_path / "report.png"
    done = chromium(page, tmp_path / "profile", "--window-size=1280,2000", f"--screenshot={shot}")
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    size, colours = distinct_colours(shot)
    assert size == (1280, 2000)
    assert colours > 200, "the screenshot is (almost) blank"


def test_report_asset_materialized_with_the_load(seed_load):
    result, _, _ = seed_load
    events = [m for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() == "analyst_report"]
    assert events, "the load did not materialize analyst_report"
    metadata = events[-1].materialization.metadata
    assert Path(metadata["report"].value).is_file()
    assert metadata["report_url"].value.startswith("file://")
    assert metadata["charts"].value > 0
    quality = Path(metadata["report"].value).read_text(encoding="utf-8").split('id="quality"')[1]
    # the asset reports the check evaluations of its own run rather than validating the suites again
    assert "(all rules of the check)" in quality and 'id="checks-error"' not in quality


def test_report_fails_clearly_without_a_warehouse(tmp_path):
    done = qcity("report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r"))
    assert done.returncode == 1 and "qcity load" in done.stderr
    assert not (tmp_path / "r" / "index.html").exists()


def test_plot_writes_a_png(seed_load, tmp_path, read_db):
    _, db_path, _ = seed_load
    region, metric = read_db(db_path, "SELECT region_zh, metric_id FROM metric_series WHERE catalogued GROUP BY ALL "
                                      "ORDER BY count(*) DESC, region_zh, metric_id LIMIT 1")[0]
    out = tmp_path / "chart.png"
    done = qcity("plot", "--region", region, "--metric", metric, "--out", str(out), "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    size, colours = distinct_colours(out)
    assert size == (1000, 560)
    assert colours > 50, "the chart is (almost) blank"


def test_plot_unknown_series_fails_clearly(seed_load, tmp_path):
    _, db_path, _ = seed_load
    out = tmp_path / "none.png"
    done = qcity("plot", "--region", "长沙市", "--metric", "no.such.metric", "--out", str(out), "--db", str(db_path))
    assert done.returncode == 1 and "no yearly values" in done.stderr and not out.exists()


@pytest.mark.parametrize("value, unit, shown", [
    (1.1003e12, "yuan", "11,003 亿元"),
    (52000.0, "yuan", "5.2 万元"),
    (850.0, "yuan", "850 元"),
    (7.5, "percent", "7.5%"),
    (-3.2, "percent", "-3.2%"),
    (25.0, "count", "25 个"),
    (1.5, "points", "1.5 个百分点"),
    (120.0, "公顷", "120 公顷"),
    (None, "yuan", "–"),
])
def test_format_value(value, unit, shown):
    assert format_value(value, unit) == shown


def test_one_scale_for_a_whole_series():
    assert scale_for("yuan", [5e7, 2e8]).label == "亿元"
    assert scale_for("yuan", [5e7, 9e7]).label == "万元"


def _target(**kw) -> dict:
    return {"target_qualifier": "exact", "target_value": 0.0, "target_value_max": None, "unit": "percent", **kw}


@pytest.mark.parametrize("row, shown", [
    (_target(target_qualifier="at_least", target_value=92.0), "≥ 92%"),
    (_target(target_qualifier="at_most", target_value=5.0), "≤ 5%"),
    (_target(target_qualifier="range", target_value=30.0, target_value_max=35.0, unit="count"), "30 个–35 个"),
    (_target(target_qualifier="decrease", target_value=-3.0, target_value_max=5.0), "下降 3%–5%"),
    (_target(target_value=1e6, unit="yuan"), "100 万元"),
])
def test_target_text(row, shown):
    assert target_text(row) == shown


def test_chart_spec_draws_dated_targets_as_marks_and_undated_as_lines():
    import plotly.graph_objects as go

    series = pl.DataFrame({"region_zh": ["甲市"] * 2, "metric_id": ["gdp.total"] * 2, "name_zh": ["地区生产总值"] * 2,
                           "unit": ["yuan"] * 2, "year": [2020, 2021], "value": [9e10, 1e11],
                           "min_value": [9e10, 1e11], "max_value": [9e10, 1.02e11], "source_count": [1, 2],
                           "conflict": [False, True]})
    targets = pl.DataFrame({"region_zh": ["甲市"] * 2, "metric_id": ["gdp.total"] * 2, "metric_zh": ["GDP"] * 2,
                            "unit": ["yuan"] * 2, "target_year": [2025, None], "target_value": [1.5e11, 1.2e11],
                            "target_value_max": [None, None], "target_qualifier": ["at_least", "exact"],
                            "attained": ["pending", "no"], "quote": ["到2025年……", "力争……"],
                            "file": ["a.txt", "b.txt"]})
    spec = chart_spec("甲市", "gdp.total", series, targets)
    assert spec.scale.label == "亿元" and spec.years == [2020, 2021] and spec.values == [900.0, 1000.0]
    assert spec.highs[1] == pytest.approx(1020.0) and "来源不一致" in spec.hover[1]
    assert [(t.year, t.value, t.attained) for t in spec.targets] == [(2025, 1500.0, "pending"), (None, 1200.0, "no")]
    assert chart_spec("乙市", "gdp.total", series, targets) is None
    figure = go.Figure(plotly_figure(spec))     # validates the unvalidated dict the report renders
    # the disputed year is ringed in a trace of its own, so the legend names the ≠ mark
    assert [t.name for t in figure.data] == ["实际值", "≠ 来源不一致", "目标（尚无结论）"]
    assert list(figure.data[1].x) == [2021]
    assert list(figure.data[2].x) == [2025] and figure.data[2].marker.symbol == "star"
    assert [(s.y0, s.line.color, s.line.dash) for s in figure.layout.shapes] == [(1200.0, "#d62728", "dot")]   # undated, not attained
    # the line spans the plot; its label sits at its top left, in its colour
    assert [(s.xref, s.x0, s.x1) for s in figure.layout.shapes] == [("x domain", 0, 1)]
    assert [(a.text, a.xref, a.x, a.xanchor, a.y, a.yanchor, a.font.color) for a in figure.layout.annotations] == \
        [("目标 1,200 亿元", "x domain", 0, "left", 1200.0, "bottom", "#d62728")]


ONE_ACTUAL = pl.DataFrame({"region_zh": ["甲市"], "metric_id": ["env.rate"], "name_zh": ["达标率"], "unit": ["percent"],
                           "year": [2020], "value": [90.0], "min_value": [90.0], "max_value": [90.0],
                           "source_count": [1], "conflict": [False]})


def _stated(year: int | None, value: float, file: str, attained: str = "no", qualifier: str = "at_least",
            quote: str = "") -> dict:
    """One target_progress row of 甲市 · env.rate (a percentage)."""
    return {"region_zh": "甲市", "metric_id": "env.rate", "metric_zh": "达标率", "unit": "percent",
            "target_year": year, "target_value": value, "target_value_max": None, "target_qualifier": qualifier,
            "attained": attained, "quote": quote or f"{file}：目标{value}", "file": file}


# rows → the undated lines (y, label) and the dated stars (year, value, documents stating it) drawn
@pytest.mark.parametrize("rows, lines, stars", [
    pytest.param([_stated(None, 92.0, "a.txt"), _stated(None, 92.0, "b.txt"), _stated(None, 92.0, "c.txt")],
                 [(92.0, "目标 ≥ 92%（3 份文件）")], [], id="three documents: one line"),
    pytest.param([_stated(None, 92.0, "a.txt"), _stated(None, 92.0, "a.txt", quote="a.txt：再次强调")],
                 [(92.0, "目标 ≥ 92%")], [], id="one document stating it twice: one document"),
    pytest.param([_stated(None, 92.0, "a.txt"), _stated(None, 92.0, "b.txt", attained="yes")],
                 [(92.0, "目标 ≥ 92%"), (92.0, "目标 ≥ 92%")], [], id="attained differs: two lines"),
    pytest.param([_stated(None, 92.0, "a.txt"), _stated(None, 92.0, "b.txt", qualifier="at_most")],
                 [(92.0, "目标 ≥ 92%"), (92.0, "目标 ≤ 92%")], [], id="wording differs: two lines"),
    pytest.param([_stated(None, 92.0, "a.txt"), _stated(None, 95.0, "b.txt")],
                 [(92.0, "目标 ≥ 92%"), (95.0, "目标 ≥ 95%")], [], id="value differs: two lines"),
    pytest.param([_stated(2025, 92.0, "a.txt"), _stated(2025, 92.0, "b.txt")],
                 [], [(2025, 92.0, 2)], id="two documents: one star"),
    pytest.param([_stated(2025, 92.0, "a.txt"), _stated(2030, 92.0, "b.txt"), _stated(None, 92.0, "c.txt")],
                 [(92.0, "目标 ≥ 92%")], [(2025, 92.0, 1), (2030, 92.0, 1)], id="year differs: apart"),
])
def test_duplicate_targets_collapse_into_one_mark(rows, lines, stars):
    import plotly.graph_objects as go

    spec = chart_spec("甲市", "env.rate", ONE_ACTUAL, pl.DataFrame(rows))
    figure = go.Figure(plotly_figure(spec))
    assert [(a.y, a.text) for a in figure.layout.annotations] == lines
    assert [s.y0 for s in figure.layout.shapes] == [y for y, _ in lines]
    targets = figure.data[1:]       # after the actual values
    drawn = [(x, y, hover) for trace in targets for x, y, hover in zip(trace.x, trace.y, trace.hovertext)]
    assert [(x, y) for x, y, _ in drawn] == [(year, value) for year, value, _ in stars]
    assert [_documents_in(hover) for *_, hover in drawn] == [documents for *_, documents in stars]
    # a line's hover quotes the sentences stating it
    undated = [t for t in spec.targets if t.year is None]
    assert all(t.quotes and all(q in a.hovertext for q in t.quotes[:HOVER_QUOTES])
               for a, t in zip(figure.layout.annotations, undated, strict=True))


def _target_row(file: str, value: float = 92.0, year: int | None = 2025, attained: str = "pending") -> dict:
    """One row of the report's targets frame (warehouse/reporting/data.py TARGETS_SQL) of 甲市 · env.rate."""
    return {"figure_id": f"f-{file}", "file": file, "region_zh": "甲市", "series_key": "env.rate", "metric_id": "env.rate",
            "metric_key": "达标率", "metric_zh": "达标率", "category": "rate", "period": f"target:{year}" if year else "target",
            "target_year": year, "target_value": value, "target_value_max": None, "target_qualifier": "at_least",
            "unit": "percent", "actual_year": None, "actual_value": None, "latest_actual_year": 2020,
            "latest_actual_value": 90.0, "attained": attained, "quote": f"{file}：到{year}年达标率达到{value}%",
            "stated_value": value, "stated_value_max": None, "unit_zh": "%", "title": None, "url": None, "published": None}


# target rows → the report's rows: (target year, value, files listed, sources left unlisted)
@pytest.mark.parametrize("rows, shown", [
    pytest.param([_target_row(f"{n}.txt") for n in range(9)], [(2025, 92.0, [f"{n}.txt" for n in range(6)], 3)],
                 id="restated nine times: one row, six sources listed"),
    pytest.param([_target_row("a.txt"), _target_row("b.txt", value=95.0), _target_row("c.txt")],
                 [(2025, 92.0, ["a.txt", "c.txt"], 0), (2025, 95.0, ["b.txt"], 0)], id="value differs: two rows"),
    pytest.param([_target_row("a.txt"), _target_row("b.txt", year=2030)],
                 [(2025, 92.0, ["a.txt"], 0), (2030, 92.0, ["b.txt"], 0)], id="year differs: two rows"),
    pytest.param([_target_row("a.txt", year=None, attained="undated"), _target_row("b.txt", year=None, attained="undated")],
                 [(None, 92.0, ["a.txt", "b.txt"], 0)], id="undated, restated: one row"),
])
def test_a_restated_target_is_one_row_of_the_targets_table(rows, shown):
    from warehouse.reporting.html import _target_rows

    table = _target_rows(pl.DataFrame(rows, infer_schema_length=None))
    assert [(t.target_year, t.target_value, [p.file for p in t.sources], t.unlisted) for t in table] == shown
    assert all(p.quote.startswith(p.file) for t in table for p in t.sources)   # each source keeps its own sentence


def _documents_in(hover: str) -> int:
    """How many documents a hover says state the target (none said: one)."""
    said = re.search(r"(\d+) 份文件", hover)
    return int(said.group(1)) if said else 1


def test_hover_lists_the_first_sentences_of_a_much_repeated_target():
    rows = [_stated(2025, 92.0, f"{n}.txt", quote=f"第{n}份文件：合格率达到92%") for n in range(5)]
    spec = chart_spec("甲市", "env.rate", ONE_ACTUAL, pl.DataFrame(rows))
    [star] = plotly_figure(spec)["data"][1:]
    [hover] = star["hovertext"]
    assert "5 份文件" in hover
    assert [f"第{n}份文件" in hover for n in range(5)] == [n < HOVER_QUOTES for n in range(5)]
    assert f"另 {5 - HOVER_QUOTES} 句" in hover


def test_png_draws_collapsed_targets(tmp_path):
    from warehouse.reporting.png import write_png

    rows = [_stated(None, 92.0, "a.txt"), _stated(None, 92.0, "b.txt"), _stated(2025, 95.0, "a.txt"),
            _stated(2025, 95.0, "c.txt", attained="pending")]
    spec = chart_spec("甲市", "env.rate", ONE_ACTUAL, pl.DataFrame(rows))
    assert [(t.year, t.caption) for t in spec.targets] == \
        [(None, "目标 ≥ 92%（2 份文件）"), (2025, "目标 ≥ 95%"), (2025, "目标 ≥ 95%")]
    size, colours = distinct_colours(write_png(spec, tmp_path / "chart.png"))
    assert size == (1000, 560) and colours > 50


def test_report_lists_quarantined_figures_and_rejected_documents(seed_load, tmp_path):
    import duckdb

    from warehouse.reporting.html import build_report

    _, seed_db, _ = seed_load
    db_path = tmp_path / "qcity.duckdb"
    shutil.copy(seed_db, db_path)
    con = duckdb.connect(str(db_path))
    try:
        con.execute("INSERT INTO rejected_documents VALUES ('bad/断码.txt', '', 12, 'cannot decode: not UTF-8, GB18030 or Big5', now(), NULL)").fetchall()
        con.execute("INSERT INTO quarantined_figures (figure_id, doc_id, file, expectation, run_id, quarantined_at, figure) "
                    "VALUES ('f1', 'd1', '001.txt', 'rate_percent_within_0_100', 'r1', now(), "
                    "'{\"quote\": \"合格率达到120%\"}')").fetchall()
        # a closed quarantine (its document was corrected) is history, not a problem to show
        con.execute("INSERT INTO quarantined_figures (figure_id, doc_id, file, expectation, run_id, quarantined_at, figure, "
                    "resolved_at) VALUES ('f2', 'd2', '002.txt', 'kind_in_vocabulary', 'r0', now(), "
                    "'{\"quote\": \"已改正的数字\"}', now())").fetchall()
    finally:
        con.close()
    outcome = build_report(db_path, tmp_path / "report", with_checks=False)
    quality = outcome.path.read_text(encoding="utf-8").split('id="quality"')[1]
    assert "拒收的文件（1）" in quality and "bad/断码.txt" in quality and "cannot decode" in quality and "未解决" in quality
    assert "隔离的数字（1）" in quality and "rate_percent_within_0_100" in quality and "合格率达到120%" in quality
    assert "已改正的数字" not in quality
    assert "本报告未运行检查" in quality
