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

from warehouse.reporting.charts import ATTAINED_STYLE, chart_specs, plotly_div, target_text
from warehouse.reporting.data import ReportData, read_report_data
from warehouse.reporting.display import format_number, format_value, unit_label

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "report.html.j2"
REPORT_FILE = "index.html"
WRITE_CHUNKS = 100          # template pieces joined per file write: one write per piece is slower
PROJECT_ROOT = Path(__file__).resolve().parents[2]
BADGE_CLASS = {"yes": "yes", "no": "no"}     # attained → the badge's CSS class; anything else is "unknown"


def report_dir_from_env() -> Path:
    """$QCITY_REPORT_DIR, default out/report in the repository (git-ignored)."""
    return Path(os.environ.get("QCITY_REPORT_DIR") or PROJECT_ROOT / "out" / "report")


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
    return env


def _yoy(row: dict) -> str:
    if row["yoy_change"] is None:
        return ""
    if row["unit"] == "percent":
        return f"{row['yoy_change']:+.2f} 个百分点".replace(".00 ", " ")
    if row["yoy_change_pct"] is not None:
        return f"{row['yoy_change_pct']:+.1f}%"
    return ""


def _by_region(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The frame split once into one frame per region (filtering it per region rescans every row each time)."""
    return {region: rows for (region,), rows in frame.partition_by("region_zh", as_dict=True).items()}


# The table rows reach the template as attributes, not dict keys: Jinja looks `row.x` up as an attribute
# first, and that failing lookup on a dict, for every cell of tens of thousands of target rows, took ~1 s.
def _latest_rows(latest: pl.DataFrame) -> list[SimpleNamespace]:
    return [SimpleNamespace(**r, display=format_value(r["value"], r["unit"]), yoy=_yoy(r))
            for r in latest.iter_rows(named=True)]


def _target_rows(targets: pl.DataFrame) -> list[SimpleNamespace]:
    rows = []
    for r in targets.iter_rows(named=True):
        actual = (f"{format_value(r['latest_actual_value'], r['unit'])}（{r['latest_actual_year']}）"
                  if r["latest_actual_value"] is not None else "")
        rows.append(SimpleNamespace(**r, target=target_text(r), actual=actual,
                                    badge=BADGE_CLASS.get(r["attained"], "unknown"),
                                    attained_label=ATTAINED_STYLE.get(r["attained"], ("", r["attained"]))[1]))
    return rows


def _page_context(data: ReportData) -> tuple[dict, int]:
    """The template's context and the page's number of charts."""
    from plotly.offline import get_plotlyjs

    regions, charts = [], 0
    charted = set(data.series["region_zh"].to_list())
    specs_of = chart_specs(data.series, data.targets)
    latest_of, targets_of = _by_region(data.latest), _by_region(data.targets)
    # regions with a series first: they are what the charts are for; target-only regions after them
    for name in sorted(data.regions, key=lambda n: (n not in charted, n)):
        specs = specs_of.get(name, [])
        charts += len(specs)
        regions.append({
            "name": name,
            "anchor": f"region-{name}",
            "charts": [plotly_div(s) for s in specs],
            "latest": _latest_rows(latest_of.get(name, data.latest.clear())),
            "targets": _target_rows(targets_of.get(name, data.targets.clear())),
        })
    last_run = data.load_runs.row(0, named=True) if not data.load_runs.is_empty() else None
    context = dict(
        data=data,
        regions=regions,
        last_run=last_run,
        load_runs=data.load_runs.to_dicts(),
        quarantined=data.quarantined.to_dicts(),
        rejected=data.rejected.to_dicts(),
        checks=data.checks,
        unit_label=unit_label,
        plotly_js=get_plotlyjs(),
    )
    return context, charts


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


def build_report(db_path: str | Path, out_dir: str | Path, raw_dir: str | Path | None = None,
                 with_checks: bool = True, lock_timeout: float = 30.0) -> ReportOutcome:
    return write_report(read_report_data(db_path, raw_dir, with_checks, lock_timeout), out_dir)
