"""Render the report page (templates/report.html.j2) into one self-contained, offline HTML file.

plotly.js is inlined once in the page head (what `include_plotlyjs=True` would inline per figure), so the
file needs no network; each chart is a <div> with its own small script.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from warehouse.reporting.charts import ATTAINED_STYLE, ChartSpec, chart_specs, plotly_div, target_text
from warehouse.reporting.data import SOURCES_PER_POINT, ReportData, read_report_data
from warehouse.reporting.display import (format_number, format_stated, format_timestamp, format_value,
                                         level_label, lexicon, period_label, unit_label)
from warehouse.reporting.outputs import DEFAULT_OUT, output_dir

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "report.html.j2"
REPORT_FILE = "index.html"
WRITE_CHUNKS = 100          # template pieces joined per file write: one write per piece is slower
PROJECT_ROOT = Path(__file__).resolve().parents[2]
BADGE_CLASS = {"yes": "yes", "no": "no"}     # attained → the badge's CSS class; anything else is "unknown"


def report_dir_from_env(db_path: str | Path | None = None) -> Path:
    """$QCITY_REPORT_DIR; else beside the warehouse: out/report for the default one (git-ignored),
    <db dir>/<db stem>_report for any other (outputs.py)."""
    return output_dir("QCITY_REPORT_DIR", db_path, "_report", DEFAULT_OUT / "report")


@dataclass(frozen=True)
class ReportOutcome:
    path: Path
    regions: int
    charts: int
    checks_failed: int
    checks_error: str


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = format_number
    env.filters["ts"] = format_timestamp
    return env


def _yoy(row: dict) -> str:
    if row.get("yoy_change") is None:
        return ""
    if row["unit_canonical"] == "percent":
        return f"{row['yoy_change']:+.2f} 个百分点".replace(".00 ", " ")
    if row.get("yoy_change_pct") is not None:
        return f"{row['yoy_change_pct']:+.1f}%"
    return ""


def _by_region(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The frame split once into one frame per region (filtering it per region rescans every row each time)."""
    return {region: rows for (region,), rows in frame.partition_by("region_zh", as_dict=True).items()}


def _grain_rank(grain: str | None) -> int:
    order = lexicon()["grain_order"]
    return order.index(grain) if grain in order else len(order)


# The table rows reach the template as attributes, not dict keys: Jinja looks `row.x` up as an attribute
# first, and that failing lookup on a dict, for every cell of tens of thousands of target rows, took ~1 s.
def _latest_rows(latest: pl.DataFrame, series: pl.DataFrame) -> list[SimpleNamespace]:
    """The latest stated value of each metric × period grain: category, dated grains first, then name.
    A yearly row's change on the year before is its series' (metric_series)."""
    change = {(r["series_key"], r["year"]): r for r in
              series.select("series_key", "year", "yoy_change", "yoy_change_pct").iter_rows(named=True)}
    rows = []
    for r in latest.iter_rows(named=True):
        yearly = change.get((r["metric"], r["year"])) if r["period_grain"] == "year" else None
        r |= {"yoy_change": yearly and yearly["yoy_change"], "yoy_change_pct": yearly and yearly["yoy_change_pct"]}
        spread = (f"{format_value(r['min_canonical'], r['unit_canonical'])} – "
                  f"{format_value(r['max_canonical'], r['unit_canonical'])}") if r["conflict"] else ""
        rows.append(SimpleNamespace(
            **r, display=format_stated(r["value"], r["value_max"], r["unit_zh"], r["qualifier"]),
            period_label=period_label(r["period_grain"], r["period"], r["year"]), yoy=_yoy(r), spread=spread,
            metric_label=r["metric_id"] or "未编目"))
    return sorted(rows, key=lambda x: (x.category or "", _grain_rank(x.period_grain), x.name_zh or "", x.metric))


def _in_target_unit(r: dict, value: float | None) -> str:
    """An actual beside a target, in the target's stated unit when that needs no conversion (12项, not 12 个)."""
    if value is None:
        return ""
    if r.get("unit_zh") and r.get("stated_value") is not None and r["target_value"] is not None \
            and abs(r["stated_value"]) == abs(r["target_value"]):
        return f"{format_number(value)}{r['unit_zh']}"
    return format_value(value, r["unit"])


# What makes two target figures one target: the same series, period and canonical value (and so the same
# verdict). Documents restate their targets — a plan, its mid-term review, every yearly work report —
# and the table shows each target once, with its first sources and the count of the others.
TARGET_KEY = ("series_key", "metric_id", "period", "target_year", "target_value", "target_value_max",
              "target_qualifier", "unit", "attained")
SOURCE_COLUMNS = ("quote", "file", "title", "published", "url")     # what a target's listed source shows


def _target_rows(targets: pl.DataFrame) -> list[SimpleNamespace]:
    """One row per distinct target of `targets` (in their order), its first SOURCES_PER_POINT sources
    (quote, file, title, date, URL) listed and the rest counted in `unlisted`."""
    # the rows stating each target, from the key columns alone: most rows restate a target, and only each
    # target's first row and its listed sources are read whole (reading every row was most of the cost)
    rows_of: dict[tuple, list[int]] = {}
    for i, key in enumerate(targets.select(TARGET_KEY).iter_rows()):
        rows_of.setdefault(key, []).append(i)
    listed = targets.select(SOURCE_COLUMNS)[[i for rows in rows_of.values() for i in rows[:SOURCES_PER_POINT]]]
    sources = iter(listed.iter_rows(named=True))    # target after target, each one's listed sources
    firsts = targets[[rows[0] for rows in rows_of.values()]].iter_rows(named=True)
    table = []
    for r, rows in zip(firsts, rows_of.values()):
        actual = (f"{_in_target_unit(r, r['latest_actual_value'])}（{r['latest_actual_year']}）"
                  if r["latest_actual_value"] is not None else "")
        table.append(SimpleNamespace(
            **r, target=target_text(r), actual=actual, badge=BADGE_CLASS.get(r["attained"], "unknown"),
            attained_label=ATTAINED_STYLE.get(r["attained"], ("", r["attained"]))[1],
            sources=[SimpleNamespace(**next(sources)) for _ in rows[:SOURCES_PER_POINT]],
            unlisted=max(len(rows) - SOURCES_PER_POINT, 0)))
    return table


def _compact(spec: ChartSpec) -> SimpleNamespace:
    """A series with one year as one stat row: its value, year, conflict and sources (no chart panel)."""
    [i] = [i for i, v in enumerate(spec.values) if v is not None]
    return SimpleNamespace(name=spec.name, key=spec.metric_id if spec.catalogued else "未编目", year=spec.years[i],
                           display=f"{format_number(spec.values[i])}{spec.scale.label}", conflict=spec.conflicts[i],
                           sources=spec.sources, unlisted=sum(spec.unlisted.values()), targets=len(spec.targets))


def _region_context(row: dict, specs: list[ChartSpec], latest: pl.DataFrame, targets: pl.DataFrame,
                    series: pl.DataFrame) -> dict:
    drawn = [s for s in specs if s.points >= 2]
    return {
        "name": row["region_zh"],
        "anchor": f"region-{row['region_zh']}",
        "level": level_label(row["level"]),
        "path": row["path"] or [row["region_zh"]],
        "depth": max(len(row["path"] or []) - 1, 0),
        "figures": row["figures"],
        "charts": [SimpleNamespace(div=plotly_div(s), anchor=s.anchor, sources=s.sources, unlisted=s.unlisted,
                                   figures=len(s.sources) + sum(s.unlisted.values())) for s in drawn],
        "compact": [_compact(s) for s in specs if s.points == 1],
        "latest": _latest_rows(latest, series),
        "targets": _target_rows(targets),
    }


def _page_context(data: ReportData) -> tuple[dict, int]:
    """The template's context and the page's number of charts."""
    from plotly.offline import get_plotlyjs

    specs_of = chart_specs(data.series, data.targets, data.sources)
    latest_of, targets_of = _by_region(data.latest), _by_region(data.targets)
    series_of = _by_region(data.series)
    # every region with an active figure, in hierarchy order (data.REGIONS_SQL)
    regions = [_region_context(row, specs_of.get(row["region_zh"], []),
                               latest_of.get(row["region_zh"], data.latest.clear()),
                               targets_of.get(row["region_zh"], data.targets.clear()),
                               series_of.get(row["region_zh"], data.series.clear()))
               for row in data.regions_frame.iter_rows(named=True)]
    last_run = data.load_runs.row(0, named=True) if not data.load_runs.is_empty() else None
    context = dict(
        data=data,
        read_at=format_timestamp(data.read_at),
        regions=regions,
        last_run=last_run,
        load_runs=data.load_runs.to_dicts(),
        quarantined=data.quarantined.to_dicts(),
        rejected=data.rejected.to_dicts(),
        checks=data.checks,
        unit_label=unit_label,
        attained_style=ATTAINED_STYLE,
        plotly_js=get_plotlyjs(),
    )
    return context, sum(len(r["charts"]) for r in regions)


def render_report(data: ReportData) -> tuple[str, int]:
    """The page's HTML and its number of charts."""
    context, charts = _page_context(data)
    return _environment().get_template(TEMPLATE).render(context), charts


def write_report(data: ReportData, out_dir: str | Path) -> ReportOutcome:
    """Write out_dir/index.html atomically (a reader never sees half a report)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context, charts = _page_context(data)
    path = out_dir / REPORT_FILE
    partial = out_dir / f".{REPORT_FILE}.{os.getpid()}.tmp"
    # streamed to the file: the page as one string, its pieces and its UTF-8 copy held at once cost more
    # memory than anything else the report does
    page = _environment().get_template(TEMPLATE).stream(context)
    page.enable_buffering(WRITE_CHUNKS)
    page.dump(str(partial), encoding="utf-8")
    os.replace(partial, path)
    checks = data.checks
    return ReportOutcome(path=path.resolve(), regions=len(data.regions), charts=charts,
                         checks_failed=len(checks.failed) if checks else 0, checks_error=checks.error if checks else "")


def build_report(db_path: str | Path, out_dir: str | Path,
                 with_checks: bool = True, lock_timeout: float = 30.0) -> ReportOutcome:
    return write_report(read_report_data(db_path, with_checks, lock_timeout), out_dir)
