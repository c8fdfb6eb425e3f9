"""One chart per region × metric: the yearly actual values as a line, the targets as markers.

`chart_specs` turns the report frames into plain ChartSpecs (scaled for display); `plotly_figure`
draws one for the HTML report, png.py draws the same spec with Matplotlib.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from warehouse.reporting.display import Scale, format_value, scale_for

# attained (target_progress) → marker colour and legend text
ATTAINED_STYLE = {
    "yes": ("#2ca02c", "目标已达成"),
    "no": ("#d62728", "目标未达成"),
    "not yet known": ("#7f7f7f", "目标（尚无结论）"),
}
QUALIFIER_SIGN = {"at_least": "≥", "more_than": ">", "at_most": "≤", "approx": "≈", "range": "≥", "decrease": ""}
CJK_FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"


@dataclass(frozen=True)
class TargetMark:
    year: int | None            # None: a target without a year (每年 / by the plan's end) — drawn as a line
    value: float                # scaled
    attained: str
    label: str                  # '≥ 92%'
    quote: str


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
    qualifier = row["target_qualifier"] or ""
    value, high = row["target_value"], row["target_value_max"]
    prefix = QUALIFIER_SIGN.get(qualifier, "")
    if qualifier == "decrease":             # stored signed (−3) for the series; read as 下降 3%
        prefix, value = "下降", abs(value)
    text = format_value(value, row["unit"])
    if high is not None:
        text = f"{text}–{format_value(abs(high) if qualifier == 'decrease' else high, row['unit'])}"
        prefix = "" if qualifier == "range" else prefix
    return f"{prefix} {text}".strip()


def chart_spec(region_zh: str, metric_id: str, series: pl.DataFrame, targets: pl.DataFrame) -> ChartSpec | None:
    """The chart of one region × metric, or None when there is nothing to draw on a time axis."""
    points = series.filter((pl.col("region_zh") == region_zh) & (pl.col("metric_id") == metric_id)).sort("year")
    aims = targets.filter((pl.col("region_zh") == region_zh) & (pl.col("metric_id") == metric_id))
    if points.is_empty() and aims.filter(pl.col("target_year").is_not_null()).is_empty():
        return None
    unit = points["unit"][0] if not points.is_empty() else aims["unit"][0]
    name = points["name_zh"][0] if not points.is_empty() else (aims["metric_zh"][0] or metric_id)
    scale = scale_for(unit, [*points["max_value"].to_list(), *points["min_value"].to_list(),
                             *aims["target_value"].to_list()])
    spec = ChartSpec(region_zh, metric_id, f"{name}（{metric_id}）", scale)
    for row in points.iter_rows(named=True):
        spec.years.append(int(row["year"]))
        spec.values.append(row["value"] / scale.divisor)
        spec.lows.append(row["min_value"] / scale.divisor)
        spec.highs.append(row["max_value"] / scale.divisor)
        note = f"{row['year']}年：{format_value(row['value'], unit)}<br>{row['source_count']} 份文件"
        if row["conflict"]:
            note += f"<br>来源不一致：{format_value(row['min_value'], unit)} – {format_value(row['max_value'], unit)}"
        spec.hover.append(note)
    for row in aims.iter_rows(named=True):
        spec.targets.append(TargetMark(
            year=int(row["target_year"]) if row["target_year"] is not None else None,
            value=row["target_value"] / scale.divisor,
            attained=row["attained"],
            label=target_text(row),
            quote=row["quote"],
        ))
    return spec


def chart_specs(region_zh: str, series: pl.DataFrame, targets: pl.DataFrame) -> list[ChartSpec]:
    """Every chart of a region, by metric id."""
    metric_ids = set(series.filter(pl.col("region_zh") == region_zh)["metric_id"].to_list())
    metric_ids |= set(targets.filter((pl.col("region_zh") == region_zh) & pl.col("metric_id").is_not_null()
                                     & pl.col("target_year").is_not_null())["metric_id"].to_list())
    specs = [chart_spec(region_zh, m, series, targets) for m in sorted(metric_ids)]
    return [s for s in specs if s is not None]


def _wrap(text: str, width: int = 40) -> str:
    return "<br>".join(text[i:i + width] for i in range(0, len(text), width))


def plotly_figure(spec: ChartSpec):
    import plotly.graph_objects as go

    fig = go.Figure(layout={"template": "none"})   # not the default template: see update_layout below
    if spec.years:
        fig.add_trace(go.Scatter(
            x=spec.years, y=spec.values, mode="lines+markers", name="实际值",
            line={"color": "#1f77b4", "width": 2}, marker={"size": 7},
            error_y={"type": "data", "symmetric": False,
                     "array": [h - v for h, v in zip(spec.highs, spec.values)],
                     "arrayminus": [v - lo for v, lo in zip(spec.values, spec.lows)],
                     "thickness": 1, "width": 3, "color": "#9ecae1"},
            hovertext=spec.hover, hoverinfo="text",
        ))
    for attained, (colour, legend) in ATTAINED_STYLE.items():
        dated = [t for t in spec.targets if t.year is not None and t.attained == attained]
        if dated:
            fig.add_trace(go.Scatter(
                x=[t.year for t in dated], y=[t.value for t in dated], mode="markers", name=legend,
                marker={"symbol": "star", "size": 14, "color": colour, "line": {"width": 1, "color": "#333"}},
                hovertext=[f"目标 {t.label}（{legend}）<br>{_wrap(t.quote)}" for t in dated], hoverinfo="text",
            ))
    for t in spec.targets:
        if t.year is None:
            colour, legend = ATTAINED_STYLE.get(t.attained, ATTAINED_STYLE["not yet known"])
            fig.add_hline(y=t.value, line={"dash": "dot", "color": colour, "width": 1},
                          annotation_text=f"目标 {t.label}", annotation_position="top left",
                          annotation_font={"color": colour, "size": 11})
    fig.update_layout(
        title={"text": spec.title, "font": {"size": 14}, "x": 0.01, "xanchor": "left"},
        height=300, margin={"l": 60, "r": 20, "t": 45, "b": 40},
        # a plain white style instead of template="plotly_white": copying a template costs ~0.1 s per figure
        template="none", paper_bgcolor="white", plot_bgcolor="white", font={"family": CJK_FONT_STACK},
        legend={"orientation": "h", "y": -0.2}, showlegend=len(fig.data) > 1,
        xaxis={"title": "年份", "dtick": 1, "tickformat": "d", "gridcolor": "#ebebeb", "linecolor": "#999"},
        yaxis={"title": spec.scale.label, "tickformat": ",~r", "gridcolor": "#ebebeb", "zerolinecolor": "#bbb",
               "rangemode": "tozero" if spec.scale.label != "%" else "normal"},
    )
    return fig


def plotly_div(spec: ChartSpec) -> str:
    """The figure as a <div> plus its script; plotly.js itself is inlined once by the page (html.py)."""
    return plotly_figure(spec).to_html(
        full_html=False, include_plotlyjs=False, div_id=spec.anchor,
        config={"displaylogo": False, "responsive": True, "displayModeBar": False},   # zoom by dragging; no toolbar over the title
    )
