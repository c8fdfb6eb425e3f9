"""The report as an analyst reads it (issue 17), checked in headless Chromium on the seed warehouse: every
region with active figures, the latest value of every period with its source, every chart point's hover
showing its sentence and file, gaps, compact single-year series, hierarchy order, units as stated, a
visible legend, timestamps; and where a warehouse's report and Data Docs are written.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_report import chromium, console_messages, qcity

# Run in the page after plotly drew it: hovers every point of every chart (Plotly.Fx.hover draws the same
# hover label the mouse would), and dumps what the page shows as JSON into <pre id="probe">.
PROBE = """
<script>
window.addEventListener('load', function () { setTimeout(function () {
  function texts(root, selector) { return Array.from(root.querySelectorAll(selector)).map(function (e) { return e.textContent; }); }
  var out = {regions: [], charts: {}, legend: null, readAt: document.getElementById('read-at').textContent,
             lastLoad: (document.getElementById('last-load') || {}).textContent || ''};
  document.querySelectorAll('section.region').forEach(function (s) {
    var rows = Array.from(s.querySelectorAll('table.latest tr, table.targets tr, table.compact tr')).filter(function (tr) {
      return tr.querySelector('td'); }).map(function (tr) {
      return {table: tr.closest('table').className, visible: tr.innerText, text: tr.textContent, grain: tr.dataset.grain,
              cells: Array.from(tr.querySelectorAll('td')).map(function (td) { return td.innerText.trim(); }),
              links: Array.from(tr.querySelectorAll('a')).map(function (a) { return a.getAttribute('href'); })}; });
    out.regions.push({name: s.dataset.region, rows: rows,
                      charts: Array.from(s.querySelectorAll('.plotly-graph-div')).map(function (d) { return d.id; })});
  });
  var legend = document.getElementById('legend');
  out.legend = {text: legend.innerText, visible: legend.offsetHeight > 0};
  // one hover at a time, 60 ms apart: plotly throttles hovers on a plot to one per 50 ms
  var queue = [];
  document.querySelectorAll('.plotly-graph-div').forEach(function (gd) {
    var trace = gd.data[0];
    out.charts[gd.id] = {x: trace.x, y: trace.y, hovers: [], ytitles: texts(gd, '.ytitle'), title: gd.layout.title.text,
                         lines: Array.from(gd.querySelectorAll('.scatterlayer .trace')[0].querySelectorAll('.js-line')).map(
                           function (e) { return e.getAttribute('d'); })};
    for (var i = 0; i < trace.x.length; i++) { queue.push([gd, i]); }
  });
  function next() {
    if (!queue.length) {
      var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
      return;
    }
    var item = queue.shift(), gd = item[0], i = item[1], chart = out.charts[gd.id];
    if (chart.y[i] === null) { chart.hovers.push(null); next(); return; }
    Plotly.Fx.hover(gd, [{curveNumber: 0, pointNumber: i}]);
    chart.hovers.push(texts(gd, '.hoverlayer .hovertext').join('\\n'));
    Plotly.Fx.unhover(gd);
    setTimeout(next, 60);
  }
  next();
}, 500); });
</script>
"""
PROBE_OUTPUT = re.compile(r'<pre id="probe">(.*?)</pre>', re.S)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d$")


@pytest.fixture(scope="module")
def page(seed_load, tmp_path_factory):
    """`qcity report` over the seed warehouse: (index.html, db path)."""
    _, db_path, _ = seed_load
    out = tmp_path_factory.mktemp("analyst-report")
    done = qcity("report", "--db", str(db_path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out / "index.html", db_path


@pytest.fixture(scope="module")
def seen(page, tmp_path_factory):
    """What Chromium shows of the report: the probe's JSON, after every chart was drawn and hovered."""
    index, _ = page
    probed = index.with_name("probed.html")
    probed.write_text(index.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = chromium(probed, tmp_path_factory.mktemp("chrome-probe"), "--dump-dom", budget_ms=120_000)
    assert done.returncode == 0 and console_messages(done.stderr) == [], done.stderr[-2000:]
    found = PROBE_OUTPUT.search(done.stdout)
    assert found, "the probe did not run: the page's scripts failed"
    return json.loads(html.unescape(found.group(1)))


def _section(seen: dict, region: str) -> dict:
    [section] = [r for r in seen["regions"] if r["name"] == region]
    return section


def test_every_region_with_active_figures_has_a_section(seen, read_db, page):
    _, db_path = page
    active = {r for (r,) in read_db(db_path, "SELECT DISTINCT region_zh FROM fact_figure "
                                             "WHERE retired_at IS NULL AND region_zh IS NOT NULL")}
    shown = [r["name"] for r in seen["regions"]]
    assert sorted(shown) == sorted(active) and len(shown) == len(set(shown))
    # each section has a latest row for every catalogued metric × period grain of its actual figures
    wanted: dict[str, set] = {}
    for region, metric, grain in read_db(db_path, "SELECT DISTINCT region_zh, metric_id, period_grain FROM fact_figure "
                                                  "WHERE retired_at IS NULL AND kind = 'actual' AND region_zh IS NOT NULL "
                                                  "AND metric_id IS NOT NULL"):
        wanted.setdefault(region, set()).add((metric, grain))
    for region in active:
        rows = [r for r in _section(seen, region)["rows"] if r["table"] == "latest"]
        shown_pairs = {(r["cells"][0].split()[-1], r["grain"]) for r in rows if not r["cells"][0].endswith("未编目")}
        assert shown_pairs == wanted.get(region, set()), region


# (region, a sentence in the document, the row's value and period cells): figures that are not yearly —
# cumulative, undated, half-year, relative — in the unit the document used
@pytest.mark.parametrize("region, quote, shown", [
    pytest.param("海门市", "创建省优工程65项", ["65项", "累计"], id="cumulative, 项 kept"),
    pytest.param("海门市", "地区生产总值410亿元", ["410亿元", "本年上半年"], id="relative half-year"),
    pytest.param("海门市", "市民对服务行业满意度超过80%", ["> 80%", "未注明时期"], id="undated, qualifier"),
    pytest.param("赤壁市", "中华驰名商标2件", ["2件", "累计"], id="cumulative, 件 kept"),
    pytest.param("赤壁市", "一般公共预算收入11.03亿元", ["11.03亿元", "2018年上半年"], id="H1"),
])
def test_a_non_yearly_figure_shows_with_its_source(seen, read_db, page, region, quote, shown):
    _, db_path = page
    [(file, published, url)] = read_db(db_path, "SELECT DISTINCT f.file, d.published, d.url FROM fact_figure f "
                                                "JOIN dim_document d USING (doc_id) WHERE f.region_zh = ? AND f.quote = ?",
                                       [region, quote])
    # a longer sentence may contain the quote (its growth rate's): the row is the one showing the value too
    rows = [row for row in _section(seen, region)["rows"]
            if row["table"] == "latest" and quote in row["visible"] and row["cells"][2] == shown[0]]
    assert len(rows) == 1, f"{len(rows)} rows of {region} show 「{quote}」 with {shown}"
    [row] = rows
    assert row["cells"][1] == shown[1] and file in row["visible"]
    assert (str(published) if published else "未注明") in row["visible"]
    assert row["links"] == ([url] if url else [])


def test_targets_show_their_sentence_and_file(seen, read_db, page):
    _, db_path = page
    targets = read_db(db_path, "SELECT region_zh, quote, file FROM fact_figure WHERE retired_at IS NULL AND kind = 'target' "
                               "AND region_zh IS NOT NULL")
    assert targets
    for region, quote, file in targets:
        rows = [r for r in _section(seen, region)["rows"] if r["table"] == "targets"]
        assert any(quote in r["visible"] and file in r["visible"] for r in rows), f"{region}: 「{quote}」 ({file})"


def test_every_chart_point_hover_shows_its_sentence_and_file(seen, read_db, page):
    _, db_path = page
    # per region × series × year, a figure stating the point's value
    stated = {}
    for region, key, year, quote, file in read_db(db_path, """
            SELECT s.region_zh, s.series_key, s.year, f.quote, f.file FROM metric_series s
            JOIN series_figure f ON f.region_zh = s.region_zh AND f.series_key = s.series_key AND f.year = s.year
                                AND f.value_canonical = s.value_canonical"""):
        stated.setdefault((region, key, year), []).append((quote, file))
    anchors = {}
    for region, key in read_db(db_path, "SELECT DISTINCT region_zh, series_key FROM metric_series"):
        anchors["chart-" + "".join(c if c.isalnum() else "-" for c in f"{region}-{key}")] = (region, key)
    hovered = 0
    for anchor, chart in seen["charts"].items():
        region, key = anchors[anchor]
        for year, y, hover in zip(chart["x"], chart["y"], chart["hovers"]):
            if y is None:
                continue
            assert f"{year}年" in hover
            assert any(q in hover and f in hover for q, f in stated[(region, key, year)]), \
                f"{anchor} {year}: the hover does not show a source: {hover}"
            hovered += 1
    assert hovered > 100


def test_years_without_data_are_gaps(seen):
    """The line breaks at each missing year: plotly draws one path per run of consecutive years."""
    gappy = 0
    for anchor, chart in seen["charts"].items():
        years = [x for x, y in zip(chart["x"], chart["y"]) if y is not None]
        assert chart["x"] == list(range(years[0], years[-1] + 1)), anchor   # every year on the axis
        runs = 1 + sum(b - a > 1 for a, b in zip(years, years[1:]))
        assert len(chart["lines"]) == runs, f"{anchor}: {len(chart['lines'])} line paths for {runs} runs of {years}"
        gappy += runs > 1
    assert gappy > 5


def test_single_year_series_are_compact_rows_not_charts(seen, read_db, page):
    _, db_path = page
    for region, multi, single in read_db(db_path, """
            SELECT region_zh, count(*) FILTER (WHERE years > 1), count(*) FILTER (WHERE years = 1)
            FROM (SELECT region_zh, series_key, count(*) AS years FROM metric_series GROUP BY ALL) GROUP BY region_zh"""):
        section = _section(seen, region)
        assert len(section["charts"]) == multi, region
        assert sum(r["table"] == "compact" for r in section["rows"]) == single, region


def _ancestry(read_db, db_path, region: str) -> list[str]:
    """The region's codes from its province down, walking dim_region.parent_code from the figures' code."""
    [(code,)] = read_db(db_path, "SELECT DISTINCT region_code FROM fact_figure WHERE region_zh = ?", [region])
    path = [code]
    while True:
        parent = read_db(db_path, "SELECT parent_code FROM dim_region WHERE region_code = ?", [path[0]])
        if not parent or parent[0][0] is None:
            return path
        path.insert(0, parent[0][0])


def test_regions_in_hierarchy_order(seen, read_db, page):
    _, db_path = page
    shown = [r["name"] for r in seen["regions"]]
    assert shown == sorted(shown, key=lambda r: _ancestry(read_db, db_path, r))
    assert shown.index("南通市") < shown.index("海门市")     # a city before its county


def test_legend_explains_the_marks_visibly(seen):
    legend = seen["legend"]
    assert legend["visible"]
    assert "≠" in legend["text"] and "来源不一致" in legend["text"] and "断开" in legend["text"]


def test_no_rotated_unit_label_the_unit_is_in_the_title(seen):
    assert all(t.strip() == "" for chart in seen["charts"].values() for t in chart["ytitles"])
    titles = {anchor: chart["title"] for anchor, chart in seen["charts"].items()}
    assert titles["chart-珠海市-gdp-total"] == "地区生产总值（gdp.total） · 亿元"
    assert titles["chart-新化县-gdp-growth"].endswith(" · %")


def test_timestamps_have_a_timezone_and_whole_seconds(seen):
    assert TIMESTAMP.match(seen["readAt"]), seen["readAt"]
    started = re.search(r"开始 (\S+ \S+)，结束 (\S+ \S+)。", seen["lastLoad"])
    assert started and all(TIMESTAMP.match(t) for t in started.groups()), seen["lastLoad"]


# ---- where the outputs go ----------------------------------------------------------------------------
@pytest.mark.parametrize("db, env, expected", [
    pytest.param(None, {}, ROOT / "out" / "report", id="the default warehouse: out/report"),
    pytest.param(ROOT / "warehouse" / "qcity.duckdb", {}, ROOT / "out" / "report", id="the default warehouse named"),
    pytest.param(Path("/data/other.duckdb"), {}, Path("/data/other_report"), id="another: beside it"),
    pytest.param(Path("/data/other.duckdb"), {"QCITY_REPORT_DIR": "/elsewhere"}, Path("/elsewhere"), id="env wins"),
])
def test_report_dir_follows_the_warehouse(monkeypatch, db, env, expected):
    from warehouse.reporting.html import report_dir_from_env

    monkeypatch.delenv("QCITY_REPORT_DIR", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert report_dir_from_env(db) == expected


@pytest.mark.parametrize("db, env, expected", [
    pytest.param(None, {}, ROOT / "out" / "gx_docs", id="the default warehouse: out/gx_docs"),
    pytest.param(Path("/data/other.duckdb"), {}, Path("/data/other_data_docs"), id="another: beside it"),
    pytest.param(Path("/data/other.duckdb"), {"QCITY_GX_DOCS": "/elsewhere"}, Path("/elsewhere"), id="env wins"),
])
def test_docs_dir_follows_the_warehouse(monkeypatch, db, env, expected):
    from expectations.docs import docs_dir_from_env

    monkeypatch.delenv("QCITY_GX_DOCS", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert docs_dir_from_env(db) == expected


def _stamp(path: Path) -> float | None:
    return path.stat().st_mtime_ns if path.exists() else None


def test_load_into_another_warehouse_writes_beside_it(tmp_path):
    """`qcity load --db other.duckdb` writes other_report/ beside it and `qcity check` other_data_docs/, not the
    defaults (a load's own checks evaluate with Polars and write no Data Docs)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("2019年，海门市实现地区生产总值1200亿元。2021年，海门市实现地区生产总值1350亿元。",
                               encoding="utf-8")
    db = tmp_path / "other.duckdb"
    defaults = [ROOT / "out" / "report" / "index.html", ROOT / "out" / "gx_docs" / "index.html"]
    before = [_stamp(p) for p in defaults]
    env = {k: v for k, v in os.environ.items() if k not in ("QCITY_REPORT_DIR", "QCITY_GX_DOCS", "QCITY_DB", "QCITY_RAW")}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    (tmp_path / "dagster_home").mkdir()
    import subprocess

    from tests.test_report import QCITY

    done = subprocess.run([*QCITY, "load", "--db", str(db), "--raw", str(raw)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "other_report" / "index.html").is_file()
    assert not (tmp_path / "other_data_docs").exists()
    assert [_stamp(p) for p in defaults] == before, "the load rewrote the default warehouse's report or Data Docs"
    page = (tmp_path / "other_report" / "index.html").read_text(encoding="utf-8")
    assert 'id="region-海门市"' in page and "1,350亿元" in page
    # `qcity report` alone follows the warehouse too; --out still wins
    done = subprocess.run([*QCITY, "report", "--db", str(db), "--no-checks"], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=env)
    assert done.returncode == 0 and str(tmp_path / "other_report" / "index.html") in done.stdout, done.stderr
    assert [_stamp(p) for p in defaults] == before
    # `qcity check` builds that warehouse's Data Docs beside it too
    done = subprocess.run([*QCITY, "check", "--db", str(db)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=env)
    assert f"Data Docs: {tmp_path / 'other_data_docs' / 'index.html'}" in done.stdout, done.stdout + done.stderr
    assert (tmp_path / "other_data_docs" / "index.html").is_file()
    assert [_stamp(p) for p in defaults] == before


# ---- the chart spec from frames shaped like the report's queries -------------------------------------------
def _series(years: list[int], values: list[float], unit: str = "count", conflict: list[bool] | None = None):
    import polars as pl

    n = len(years)
    return pl.DataFrame({"region_zh": ["甲市"] * n, "series_key": ["brand.count"] * n, "metric_id": ["brand.count"] * n,
                         "catalogued": [True] * n, "name_zh": ["名牌"] * n, "category": ["brand_count"] * n,
                         "unit": [unit] * n, "year": years, "value": values, "min_value": values, "max_value": values,
                         "source_count": [1] * n, "conflict": conflict or [False] * n})


def _sources(rows: list[tuple]):
    """(year, canonical value, stated value, unit_zh, quote, file, published, point_figures) rows."""
    import polars as pl

    return pl.DataFrame({
        "region_zh": ["甲市"] * len(rows), "series_key": ["brand.count"] * len(rows),
        "year": [r[0] for r in rows], "value": [r[1] for r in rows], "stated_value": [r[2] for r in rows],
        "stated_value_max": [None] * len(rows), "unit_zh": [r[3] for r in rows], "qualifier": ["exact"] * len(rows),
        "figure_id": [f"f{i}" for i in range(len(rows))], "quote": [r[4] for r in rows], "file": [r[5] for r in rows],
        "title": [None] * len(rows), "url": ["http://example.org/a"] * len(rows), "published": [r[6] for r in rows],
        "point_figures": [r[7] for r in rows]}, schema_overrides={"published": pl.Date})


@pytest.mark.parametrize("years, values, drawn_years, drawn", [
    pytest.param([2019, 2021], [10.0, 12.0], [2019, 2020, 2021], [10.0, None, 12.0], id="one missing year"),
    pytest.param([2016, 2017, 2020], [1.0, 2.0, 3.0], [2016, 2017, 2018, 2019, 2020], [1.0, 2.0, None, None, 3.0],
                 id="two missing years"),
    pytest.param([2019, 2020], [1.0, 2.0], [2019, 2020], [1.0, 2.0], id="no gap"),
])
def test_missing_years_are_none_and_never_connected(years, values, drawn_years, drawn):
    import plotly.graph_objects as go

    from warehouse.reporting.charts import chart_spec, plotly_figure

    spec = chart_spec("甲市", "brand.count", _series(years, values), _targets())
    assert (spec.years, spec.values) == (drawn_years, drawn)
    [line] = go.Figure(plotly_figure(spec)).data
    assert line.connectgaps is False and list(line.y) == drawn


def _targets():
    import polars as pl

    return pl.DataFrame(schema={"region_zh": pl.String, "series_key": pl.String, "target_year": pl.Int64,
                                "target_value": pl.Float64, "target_value_max": pl.Float64,
                                "target_qualifier": pl.String, "unit": pl.String, "attained": pl.String,
                                "quote": pl.String, "file": pl.String})


@pytest.mark.parametrize("sources, unit_label", [
    pytest.param([(2020, 12.0, 12.0, "项", "名牌12项", "a.txt", None, 1)], "项", id="项 kept, not 个"),
    pytest.param([(2020, 12.0, 12.0, "项", "名牌12项", "a.txt", None, 1),
                  (2021, 13.0, 13.0, "个", "名牌13个", "b.txt", None, 1)], "个", id="two units: the catalogue's"),
    pytest.param([(2020, 1.2e10, 120.0, "亿元", "120亿元", "a.txt", None, 1),
                  (2021, 1.3e10, 1300000.0, "万元", "1300000万元", "b.txt", None, 1)], "亿元", id="converted: scaled"),
])
def test_the_chart_keeps_the_documents_unit(sources, unit_label):
    from warehouse.reporting.charts import chart_spec

    years = sorted({s[0] for s in sources})
    unit = "yuan" if unit_label == "亿元" else "count"
    spec = chart_spec("甲市", "brand.count", _series(years, [s[1] for s in sources], unit), _targets(), _sources(sources))
    assert spec.scale.label == unit_label and spec.title.endswith(f" · {unit_label}")


def test_a_points_hover_names_its_sources_and_counts_the_unlisted():
    import datetime as dt

    from warehouse.reporting.charts import HOVER_SOURCES, chart_spec

    sources = _sources([(2020, 12.0, 12.0, "项", "甲说<12>项", "a.txt", dt.date(2021, 3, 1), 9),
                        (2020, 11.0, 11.0, "项", "乙说11项", "b.txt", None, 9),
                        (2020, 12.0, 12.0, "项", "丙说12项", "c.txt", None, 9)])
    spec = chart_spec("甲市", "brand.count", _series([2020], [12.0], conflict=[True]), _targets(), sources)
    # the figures stating the chosen value first; the disagreeing one kept, marked
    assert [(p.file, p.agrees) for p in spec.sources] == [("a.txt", True), ("c.txt", True), ("b.txt", False)]
    assert spec.unlisted == {2020: 6}
    [hover] = spec.hover
    assert "甲说&lt;12&gt;项" in hover and "a.txt · 2021-03-01 · http://example.org/a" in hover  # escaped: plotly reads HTML
    assert "丙说12项" in hover and "c.txt · 日期未注明" in hover and HOVER_SOURCES == 2
    assert f"另 {9 - HOVER_SOURCES} 条来源" in hover and "≠ 来源不一致" in hover
