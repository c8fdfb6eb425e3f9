"""One chart per region × series: the yearly actual values as a line, the targets as markers.

`chart_specs` turns the report frames into plain ChartSpecs (scaled for display, in the documents' unit
where they share one, a year without a value left as a gap, a target repeated by several documents drawn
once, each point with the sentences and documents behind it); `plotly_figure` draws one for the HTML
report, png.py draws the same spec with Matplotlib.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl

from html import escape

from warehouse.reporting.display import (Scale, document_unit_scale, format_number, format_stated, format_value,
                                         lexicon)

# attained (target_progress) → marker colour and legend text (display_lexicon.yaml)
ATTAINED_STYLE = {k: (v["colour"], v["label"]) for k, v in lexicon()["attained"].items()}
# the sign before a target's value; a decrease is worded apart (下降 3%)
QUALIFIER_SIGN = {k: v for k, v in lexicon()["qualifiers"].items() if k != "decrease"}
CJK_FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
HOVER_QUOTES = 2                # a target stated by many documents shows its first sentences, then how many more
HOVER_SOURCES = 2               # a point stated by many documents shows its first sources, then how many more
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}   # zoom by dragging; no toolbar over the title


@dataclass(frozen=True)
class TargetMark:
    year: int | None            # None: a target without a year (每年 / by the plan's end) — drawn as a line
    value: float                # scaled
    attained: str
    label: str                  # '≥ 92%'
    quotes: tuple[str, ...]     # the distinct sentences stating it, in warehouse order
    documents: int = 1          # how many documents state this same target (drawn once)
    origins: tuple[str, ...] = ()   # 'file · published · url' of each document stating it

    @property
    def caption(self) -> str:
        """'目标 ≥ 92%', and how many documents state it when more than one: '目标 ≥ 92%（3 份文件）'."""
        return f"目标 {self.label}" + (f"（{self.documents} 份文件）" if self.documents > 1 else "")


@dataclass(frozen=True)
class PointSource:
    """One figure behind a series point: what its document stated, where."""
    year: int
    stated: str                 # '65项', '1,200亿元' — the document's value and unit
    agrees: bool                # states the point's value (False: a conflicting document)
    quote: str
    file: str
    published: object = None    # dim_document.published (a date) or None
    url: str | None = None
    title: str | None = None


@dataclass
class ChartSpec:
    region_zh: str
    metric_id: str              # the series key: a metric_id, or key:<category>:<metric_key> when uncatalogued
    name: str                   # 地区生产总值
    scale: Scale
    years: list[int] = field(default_factory=list)             # every year from the first to the last
    values: list[float | None] = field(default_factory=list)   # scaled; None: no figure that year (a gap)
    lows: list[float | None] = field(default_factory=list)     # scaled min across sources
    highs: list[float | None] = field(default_factory=list)
    hover: list[str | None] = field(default_factory=list)
    conflicts: list[bool] = field(default_factory=list)
    targets: list[TargetMark] = field(default_factory=list)
    sources: list[PointSource] = field(default_factory=list)   # by year, the agreeing ones first (a few per value)
    unlisted: dict[int, int] = field(default_factory=dict)     # year → its figures not among `sources`
    catalogued: bool = True

    @property
    def title(self) -> str:
        """'地区生产总值（gdp.total）· 亿元': the unit in the title, not on a rotated axis label."""
        key = self.metric_id if self.catalogued else "未编目"
        unit = f" · {self.scale.label}" if self.scale.label else ""
        return f"{self.name}（{key}）{unit}"

    @property
    def points(self) -> int:
        """The years that have a value."""
        return sum(v is not None for v in self.values)

    @property
    def anchor(self) -> str:
        return "chart-" + "".join(c if c.isalnum() else "-" for c in f"{self.region_zh}-{self.metric_id}")


def target_text(row: dict) -> str:
    """A target_progress row as people write it: '≥ 92%', '30 个–35 个', '下降 3%–5%'; in the document's
    unit ('≥ 12项') when the row carries the value as stated (stated_value, unit_zh)."""
    if row.get("unit_zh") and row.get("stated_value") is not None:
        return format_stated(row["stated_value"], row.get("stated_value_max"), row["unit_zh"], row["target_qualifier"])
    return _target_wording(row["target_qualifier"] or "", row["target_value"], row["target_value_max"], row["unit"])


@lru_cache(maxsize=4096)    # the report words tens of thousands of targets, most of them repeats
def _target_wording(qualifier: str, value: float, high: float | None, unit: str | None) -> str:
    prefix = QUALIFIER_SIGN.get(qualifier, "")
    if qualifier == "decrease":             # stored signed (−3) for the series; read as 下降 3%
        prefix, value = "下降", abs(value)
    text = format_value(value, unit)
    if high is not None:
        text = f"{text}–{format_value(abs(high) if qualifier == 'decrease' else high, unit)}"
        prefix = "" if qualifier == "range" else prefix
    return f"{prefix} {text}".strip()


def target_marks(aims: list[dict], scale: Scale) -> list[TargetMark]:
    """The target_progress rows (dicts) of one chart as marks, one per distinct target.

    Many documents repeat the same target (same year, value, wording and attainment); drawing each copy
    stacks identical lines and stars, so they become one mark that counts the documents stating it.
    """
    stated: dict[tuple, list[dict]] = {}
    for row in aims:
        key = (row["target_year"], row["target_value"], target_text(row), row["attained"])
        stated.setdefault(key, []).append(row)
    return [
        TargetMark(
            year=int(year) if year is not None else None,
            value=value / scale.divisor,
            attained=attained,
            label=label,
            quotes=tuple(dict.fromkeys(r["quote"] for r in rows if r["quote"])),
            documents=len({r["file"] for r in rows}),
            origins=tuple(dict.fromkeys(_where(r["file"], r.get("published"), r.get("url")) for r in rows)),
        )
        for (year, value, label, attained), rows in stated.items()
    ]


def _point_sources(rows: list[dict], chosen: dict[int, float]) -> list[PointSource]:
    """The figures (dicts) of one series as PointSources: by year, those stating the chosen value first."""
    out = []
    for r in rows:
        year = int(r["year"])
        out.append(PointSource(year, format_stated(r["stated_value"], r["stated_value_max"], r["unit_zh"], r["qualifier"]),
                               r["value"] == chosen.get(year), r["quote"] or "", r["file"], r["published"], r["url"],
                               r["title"]))
    return sorted(out, key=lambda p: (p.year, not p.agrees))   # stable: keeps the query's document order


def _where(file: str, published, url: str | None) -> str:
    """'001.txt · 2020-09-24 · http://…', saying so when the document has no date."""
    return " · ".join(str(x) for x in (file, published or "日期未注明", url) if x)


def _source_line(p: PointSource) -> str:
    """A hover's source: the sentence, then file · date · URL (escaped: a quote may hold < or &)."""
    return f"「{_wrap(p.quote)}」<br>{escape(_where(p.file, p.published, p.url))}"


def _spec(region_zh: str, series_key: str, points: list[dict], aims: list[dict],
          sourced: list[dict]) -> ChartSpec | None:
    """The chart of one region × series from its own rows (dicts), or None when it has no actual value."""
    if not points:
        return None
    points = sorted(points, key=lambda r: r["year"])
    first = points[0]
    unit = first["unit"]
    chosen = {int(r["year"]): r["value"] for r in points}
    sources = _point_sources(sourced, chosen)
    values = [*(r["max_value"] for r in points), *(r["min_value"] for r in points), *(r["target_value"] for r in aims)]
    scale = document_unit_scale(unit, values, [(r["stated_value"], r["value"], r["unit_zh"]) for r in sourced])
    spec = ChartSpec(region_zh, series_key, first["name_zh"] or series_key, scale, targets=target_marks(aims, scale),
                     sources=sources, catalogued=bool(first.get("catalogued", True)))
    if sources and "point_figures" in sourced[0]:
        listed: dict[int, int] = {}
        for p in sources:
            listed[p.year] = listed.get(p.year, 0) + 1
        totals = {r["year"]: r["point_figures"] for r in sourced}
        spec.unlisted = {int(y): int(n) - listed[int(y)] for y, n in totals.items() if int(n) > listed[int(y)]}
    by_year = {int(r["year"]): r for r in points}
    sources_of: dict[int, list[PointSource]] = {}
    for p in sources:
        sources_of.setdefault(p.year, []).append(p)
    # every year from the first to the last: a year without a figure is None, and the line breaks there
    for year in range(min(by_year), max(by_year) + 1):
        spec.years.append(year)
        row = by_year.get(year)
        if row is None:
            for column in (spec.values, spec.lows, spec.highs, spec.hover):
                column.append(None)
            spec.conflicts.append(False)
            continue
        spec.values.append(row["value"] / scale.divisor)
        spec.lows.append(row["min_value"] / scale.divisor)
        spec.highs.append(row["max_value"] / scale.divisor)
        spec.conflicts.append(bool(row["conflict"]))
        shown = _scaled(row["value"], scale)
        note = f"<b>{year}年：{shown}</b>　{row['source_count']} 份文件"
        if row["conflict"]:
            note += f"<br>≠ 来源不一致：{_scaled(row['min_value'], scale)} – {_scaled(row['max_value'], scale)}"
        stated = sources_of.get(year, [])
        note += "".join(f"<br>{_source_line(p)}" for p in stated[:HOVER_SOURCES])
        more = len(stated) + spec.unlisted.get(year, 0) - HOVER_SOURCES
        if more > 0:
            note += f"<br>……另 {more} 条来源（见图下“各年来源”）"
        spec.hover.append(note)
    return spec


def _scaled(value: float, scale: Scale) -> str:
    """A canonical value in the chart's scale: '1,200亿元', '65项', '7.5%'."""
    return f"{format_number(value / scale.divisor)}{scale.label}"


def chart_spec(region_zh: str, series_key: str, series: pl.DataFrame, targets: pl.DataFrame,
               sources: pl.DataFrame | None = None) -> ChartSpec | None:
    """The chart of one region × series (a metric_id, or an uncatalogued series_key), or None without values."""
    key = "series_key" if "series_key" in series.columns else "metric_id"
    of_chart = (pl.col("region_zh") == region_zh) & (pl.col(key) == series_key)
    aims_key = "series_key" if "series_key" in targets.columns else "metric_id"
    aims = targets.filter((pl.col("region_zh") == region_zh) & (pl.col(aims_key) == series_key))
    sourced = sources.filter(of_chart).to_dicts() if sources is not None else []
    return _spec(region_zh, series_key, series.filter(of_chart).to_dicts(), aims.to_dicts(), sourced)


def _rows_by_chart(frame: pl.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """The frame's rows as dicts, by region × series, in the frame's order."""
    rows_of: dict[tuple[str, str], list[dict]] = {}
    for row in frame.iter_rows(named=True):
        rows_of.setdefault((row["region_zh"], row["series_key"]), []).append(row)
    return rows_of


def chart_specs(series: pl.DataFrame, targets: pl.DataFrame, sources: pl.DataFrame | None = None
                ) -> dict[str, list[ChartSpec]]:
    """Every series' spec, by region; each region's catalogued series first, then by category and name.

    Each frame is read into rows once and grouped by region × series: a small frame per chart, sorted and
    read row by row, made thousands of Polars calls. Only the targets of a series with values are read:
    most targets have no yearly series.
    """
    points_of = _rows_by_chart(series)
    aims_of = _rows_by_chart(targets.join(series.select("region_zh", "series_key").unique(),
                                          on=["region_zh", "series_key"], how="semi", maintain_order="left"))
    sourced_of = _rows_by_chart(sources) if sources is not None else {}
    order = {k: (not rows[0]["catalogued"], rows[0]["category"] or "", rows[0]["name_zh"] or "", k[1])
             for k, rows in points_of.items()}
    by_region: dict[str, list[ChartSpec]] = {}
    for region_zh, series_key in sorted((k for k in points_of if None not in k), key=lambda k: (k[0], order[k])):
        spec = _spec(region_zh, series_key, points_of[(region_zh, series_key)],
                     aims_of.get((region_zh, series_key), []), sourced_of.get((region_zh, series_key), []))
        if spec is not None:
            by_region.setdefault(region_zh, []).append(spec)
    return by_region


def _wrap(text: str, width: int = 40) -> str:
    """Hover text in lines of `width` characters, each escaped (plotly renders a subset of HTML)."""
    return "<br>".join(escape(text[i:i + width]) for i in range(0, len(text), width))


def _stated_by(mark: TargetMark) -> str:
    """Hover lines: how many documents state the target, and its first sentences."""
    lines = [f"{mark.documents} 份文件"] if mark.documents > 1 else []
    lines += [f"「{_wrap(q)}」" for q in mark.quotes[:HOVER_QUOTES]]
    if len(mark.quotes) > HOVER_QUOTES:
        lines.append(f"……另 {len(mark.quotes) - HOVER_QUOTES} 句")
    lines += [escape(o) for o in mark.origins[:HOVER_QUOTES]]
    if len(mark.origins) > HOVER_QUOTES:
        lines.append(f"……另 {len(mark.origins) - HOVER_QUOTES} 份文件")
    return "<br>".join(lines)


def plotly_figure(spec: ChartSpec) -> dict:
    """The Plotly figure as a plain dict (data + layout).

    Built as a dict and rendered unvalidated: plotly's graph objects re-validate and copy the whole layout
    on every added shape, which made a chart with hundreds of target lines take seconds.
    `plotly.graph_objects.Figure(plotly_figure(spec))` validates it (the tests do).
    """
    traces = []
    if spec.years:
        def gap(a, b):      # an error bar's length, None in a year without a value
            return None if a is None or b is None else a - b

        traces.append({
            "type": "scatter", "x": spec.years, "y": spec.values, "mode": "lines+markers", "name": "实际值",
            # a year without a value is None and stays a gap: no line across years nobody reported
            "connectgaps": False,
            "line": {"color": "#1f77b4", "width": 2}, "marker": {"size": 7},
            "error_y": {"type": "data", "symmetric": False,
                        "array": [gap(h, v) for h, v in zip(spec.highs, spec.values)],
                        "arrayminus": [gap(v, lo) for v, lo in zip(spec.values, spec.lows)],
                        "thickness": 1, "width": 3, "color": "#9ecae1"},
            "hovertext": spec.hover, "hoverinfo": "text", "hoverlabel": {"align": "left"},
        })
        disputed = [i for i, c in enumerate(spec.conflicts) if c]
        if disputed:
            traces.append({
                "type": "scatter", "x": [spec.years[i] for i in disputed], "y": [spec.values[i] for i in disputed],
                "mode": "markers", "name": "≠ 来源不一致", "hoverinfo": "skip",
                "marker": {"symbol": "circle-open", "size": 14, "color": "#d62728", "line": {"width": 2}},
            })
    for attained, (colour, legend) in ATTAINED_STYLE.items():
        dated = [t for t in spec.targets if t.year is not None and t.attained == attained]
        if dated:
            traces.append({
                "type": "scatter", "x": [t.year for t in dated], "y": [t.value for t in dated], "mode": "markers",
                "name": legend,
                "marker": {"symbol": "star", "size": 14, "color": colour, "line": {"width": 1, "color": "#333"}},
                "hovertext": [f"目标 {t.label}（{legend}）<br>{_stated_by(t)}" for t in dated], "hoverinfo": "text",
                "hoverlabel": {"align": "left"},
            })
    # undated targets: a dotted line across the plot, labelled top left (what fig.add_hline draws)
    shapes, annotations = [], []
    for t in spec.targets:
        if t.year is None:
            colour, _ = ATTAINED_STYLE.get(t.attained, ATTAINED_STYLE["pending"])
            shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": t.value,
                           "y1": t.value, "line": {"dash": "dot", "color": colour, "width": 1}})
            annotations.append({"text": t.caption, "hovertext": _stated_by(t),
                                "showarrow": False, "xref": "x domain", "x": 0, "xanchor": "left",
                                "yref": "y", "y": t.value, "yanchor": "bottom",
                                "font": {"color": colour, "size": 11}})
    layout = {
        "title": {"text": spec.title, "font": {"size": 14}, "x": 0.01, "xanchor": "left"},
        "height": 300, "margin": {"l": 60, "r": 20, "t": 45, "b": 40},
        # no template: plotly.js has none by default, and the colours below make it plain white
        "paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"family": CJK_FONT_STACK},
        "legend": {"orientation": "h", "y": -0.2}, "showlegend": len(traces) > 1,
        "xaxis": {"title": {"text": "年份"}, "dtick": 1, "tickformat": "d", "gridcolor": "#ebebeb", "linecolor": "#999"},
        # no y-axis title: a rotated 个 reads as an arrow; the unit is in the chart's title
        "yaxis": {"tickformat": ",~r", "gridcolor": "#ebebeb",
                  "zerolinecolor": "#bbb", "rangemode": "tozero" if spec.scale.label != "%" else "normal"},
        "shapes": shapes, "annotations": annotations,
    }
    return {"data": traces, "layout": layout}


def plotly_div(spec: ChartSpec) -> str:
    """The figure as a <div> plus its script; plotly.js itself is inlined once by the page (html.py)."""
    import plotly.io as pio

    return pio.to_html(plotly_figure(spec), validate=False, full_html=False, include_plotlyjs=False,
                       div_id=spec.anchor, config=PLOTLY_CONFIG)
