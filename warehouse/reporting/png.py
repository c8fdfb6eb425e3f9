"""One region × metric chart as a PNG (Matplotlib, headless), with a CJK font so Chinese labels render."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from warehouse.reporting.charts import ATTAINED_STYLE, ChartSpec

# Font files, by preference, that carry Simplified Chinese glyphs (Debian: fonts-noto-cjk, fonts-wqy-*).
CJK_FONT_FILE_MARKERS = ("NotoSansCJK", "NotoSerifCJK", "SourceHanSans", "wqy-zenhei", "wqy-microhei", "DroidSansFallback")


class NoCJKFont(RuntimeError):
    """No font with Chinese glyphs is installed: the chart would show boxes instead of labels."""


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """Register the first CJK font file found on the system with Matplotlib and return its family name.

    Searches the font files themselves rather than Matplotlib's cache, which predates a font installed later.
    """
    from matplotlib import font_manager

    files = font_manager.findSystemFonts()
    for marker in CJK_FONT_FILE_MARKERS:
        for path in sorted(f for f in files if marker.lower() in Path(f).name.lower()):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    raise NoCJKFont(
        "no CJK font found for Chinese labels; install one (Debian: apt-get install fonts-noto-cjk) and retry"
    )


def write_png(spec: ChartSpec, out: str | Path, width_px: int = 1000, height_px: int = 560, dpi: int = 100) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    family = cjk_font_family()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context({"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
        try:
            if spec.years:
                # a year without a value is NaN: Matplotlib breaks the line there, as the report does
                nan = float("nan")
                values = [nan if v is None else v for v in spec.values]
                lows = [nan if v is None else v for v in spec.lows]
                highs = [nan if v is None else v for v in spec.highs]
                ax.errorbar(spec.years, values,
                            yerr=[[v - lo for v, lo in zip(values, lows)], [h - v for h, v in zip(highs, values)]],
                            fmt="-o", color="#1f77b4", ecolor="#9ecae1", capsize=3, label="实际值")
            for attained, (colour, legend) in ATTAINED_STYLE.items():
                dated = [t for t in spec.targets if t.year is not None and t.attained == attained]
                if dated:
                    ax.scatter([t.year for t in dated], [t.value for t in dated], marker="*", s=220,
                               color=colour, edgecolors="#333", zorder=3, label=legend)
                for t in spec.targets:
                    if t.year is None and t.attained == attained:
                        ax.axhline(t.value, linestyle=":", color=colour, linewidth=1)
                        ax.annotate(t.caption, xy=(0.01, t.value), xycoords=("axes fraction", "data"),
                                    color=colour, fontsize=9, va="bottom")
            ax.set_title(f"{spec.region_zh} · {spec.title}")     # the unit is in the title: no rotated y label
            ax.set_xlabel("年份")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="best", fontsize=9)
            fig.tight_layout()
            fig.savefig(out, dpi=dpi)
        finally:
            plt.close(fig)
    return out
