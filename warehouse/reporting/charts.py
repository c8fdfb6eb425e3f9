"""One chart per region × metric: the yearly actual values as a line, the targets as markers.

`chart_specs` turns the report frames into plain ChartSpecs (scaled for display, a target repeated by
several documents drawn once); `plotly_figure` draws one for the HTML report, png.py draws the same spec
with Matplotlib.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl

from warehouse.reporting.display import Scale, format_value, scale_for

# attained (target_progress) → marker colour and legend text
ATTAINED_STYLE = {
    "yes": ("#2ca02c", "目标已达成"),
    "no": ("#d62728", "目标未达成"),
    "pending": ("#7f7f7f", "目标（尚无结论）"),
    "undated": ("#7f7f7f", "目标（未定年份）"),
}
QUALIFIER_SIGN = {"at_least": "≥", "more_than": ">", "at_most": "≤", "approx": "≈", "range": "≥", "decrease": ""}
CJK_FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
HOVER_QUOTES = 2                # a target stated by many documents shows its first sentences, then how many more
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}   # zoom by dragging; no toolbar over the title


@dataclass(frozen=True)
class TargetMark:
    year: int | None            # None: a target without a year (每年 / by the plan's end) — drawn as a line
    value: float                # scaled
    attained: str
    label: str                  # '≥ 92%'
    quotes: tuple[str, ...]     # the distinct sentences stating it, in warehouse order
    documents: int = 1          # how many documents state this same target (drawn once)

    @property
    def caption(self) -> str:
        """'目标 ≥ 92%', and how many documents state it when more than one: '目标 ≥ 92%（3 份文件）'."""
        return f"目标 {self.label}" + (f"（{self.documents} 份文件）" if self.documents > 1 else "")


@dataclass
class ChartSpec:
    region_zh: str
    metric_id: str
    title: str                  # 地区生产总值 (gdp.total)
    scale: Scale
    years: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)          # scaled
    lows: list[float] = field(default_factory=list)            # scaled min across sources
    highs: list[float] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    targets: list[TargetMark] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"chart-{self.region_zh}-{self.metric_id}".replace(".", "-")


def target_text(row: dict) -> str:
    """A target_progress row as people write it: '≥ 92%', '30 个–35 个', '下降 3%–5%'."""
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


def target_marks(aims: pl.DataFrame, scale: Scale) -> list[TargetMark]:
    """The target_progress rows of one chart as marks, one per distinct target.

    Many documents repeat the same target (same year, value, wording and attainment); drawing each copy
    stacks identical lines and stars, so they become one mark that counts the documents stating it.
    """
    stated: dict[tuple, list[dict]] = {}
    for row in aims.iter_rows(named=True):
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
        )
        for (year, value, label, attained), rows in stated.items()
    ]


def _spec(region_zh: str, metric_id: str, points: pl.DataFrame, aims: pl.DataFrame) -> ChartSpec | None:
    """The chart of one region × metric from its own rows, or None when there is nothing on a time axis."""
    points = points.sort("year")
    if points.is_empty() and aims.filter(pl.col("target_year").is_not_null()).is_empty():
        return None
    unit = points["unit"][0] if not points.is_empty() else aims["unit"][0]
    name = points["name_zh"][0] if not points.is_empty() else (aims["metric_zh"][0] or metric_id)
    scale = scale_for(unit, [*points["max_value"].to_list(), *points["min_value"].to_list(),
                             *aims["target_value"].to_list()])
    spec = ChartSpec(region_zh, metric_id, f"{name}（{metric_id}）", scale, targets=target_marks(aims, scale))
    for row in points.iter_rows(named=True):
        spec.years.append(int(row["year"]))
        spec.values.append(row["value"] / scale.divisor)
        spec.lows.append(row["min_value"] / scale.divisor)
        spec.highs.append(row["max_value"] / scale.divisor)
        note = f"{row['year']}年：{format_value(row['value'], unit)}<br>{row['source_count']} 份文件"
        if row["conflict"]:
            note += f"<br>来源不一致：{format_value(row['min_value'], unit)} – {format_value(row['max_value'], unit)}"
        spec.hover.append(note)
    return spec


def chart_spec(region_zh: str, metric_id: str, series: pl.DataFrame, targets: pl.DataFrame) -> ChartSpec | None:
    """The chart of one region × metric, or None when there is nothing to draw on a time axis."""
    of_chart = (pl.col("region_zh") == region_zh) & (pl.col("metric_id") == metric_id)
    return _spec(region_zh, metric_id, series.filter(of_chart), targets.filter(of_chart))


def chart_specs(series: pl.DataFrame, targets: pl.DataFrame) -> dict[str, list[ChartSpec]]:
    """Every chart, by region, each region's sorted by metric id.

    The frames are partitioned once by region × metric: filtering them per chart rescans every row
    for each of the charts.
    """
    points_of = series.partition_by("region_zh", "metric_id", as_dict=True)
    aims_of = targets.partition_by("region_zh", "metric_id", as_dict=True)
    by_region: dict[str, list[ChartSpec]] = {}
    for region_zh, metric_id in sorted(k for k in points_of.keys() | aims_of.keys() if None not in k):
        spec = _spec(region_zh, metric_id, points_of.get((region_zh, metric_id), series.clear()),
                     aims_of.get((region_zh, metric_id), targets.clear()))
        if spec is not None:
            by_region.setdefault(region_zh, []).append(spec)
    return by_region


def _wrap(text: str, width: int = 40) -> str:
    return "<br>".join(text[i:i + width] for i in range(0, len(text), width))


def _stated_by(mark: TargetMark) -> str:
    """Hover lines: how many documents state the target, and its first sentences."""
    lines = [f"{mark.documents} 份文件"] if mark.documents > 1 else []
    lines += [_wrap(q) for q in mark.quotes[:HOVER_QUOTES]]
    if len(mark.quotes) > HOVER_QUOTES:
        lines.append(f"……另 {len(mark.quotes) - HOVER_QUOTES} 句")
    return "<br>".join(lines)


def plotly_figure(spec: ChartSpec) -> dict:
    """The Plotly figure as a plain dict (data + layout).

    Built as a dict and rendered unvalidated: plotly's graph objects re-validate and copy the whole layout
    on every added shape, which made a chart with hundreds of target lines take seconds.
    `plotly.graph_objects.Figure(plotly_figure(spec))` validates it (the tests do).
    """
    traces = []
    if spec.years:
        traces.append({
            "type": "scatter", "x": spec.years, "y": spec.values, "mode": "lines+markers", "name": "实际值",
            "line": {"color": "#1f77b4", "width": 2}, "marker": {"size": 7},
            "error_y": {"type": "data", "symmetric": False,
                        "array": [h - v for h, v in zip(spec.highs, spec.values)],
                        "arrayminus": [v - lo for v, lo in zip(spec.values, spec.lows)],
                        "thickness": 1, "width": 3, "color": "#9ecae1"},
            "hovertext": spec.hover, "hoverinfo": "text",
        })
    for attained, (colour, legend) in ATTAINED_STYLE.items():
        dated = [t for t in spec.targets if t.year is not None and t.attained == attained]
        if dated:
            traces.append({
                "type": "scatter", "x": [t.year for t in dated], "y": [t.value for t in dated], "mode": "markers",
                "name": legend,
                "marker": {"symbol": "star", "size": 14, "color": colour, "line": {"width": 1, "color": "#333"}},
                "hovertext": [f"目标 {t.label}（{legend}）<br>{_stated_by(t)}" for t in dated], "hoverinfo": "text",
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
        "yaxis": {"title": {"text": spec.scale.label}, "tickformat": ",~r", "gridcolor": "#ebebeb",
                  "zerolinecolor": "#bbb", "rangemode": "tozero" if spec.scale.label != "%" else "normal"},
        "shapes": shapes, "annotations": annotations,
    }
    return {"data": traces, "layout": layout}


def plotly_div(spec: ChartSpec) -> str:
    """The figure as a <div> plus its script; plotly.js itself is inlined once by the page (html.py)."""
    import plotly.io as pio

    return pio.to_html(plotly_figure(spec), validate=False, full_html=False, include_plotlyjs=False,
                       div_id=spec.anchor, config=PLOTLY_CONFIG)
