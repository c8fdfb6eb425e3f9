"""Screenshot the analyst report (issue 17): docs/report.png and docs/report_region.png.

    .venv/bin/python tools/screenshot_report.py [--raw raw] [--out docs/report.png] [--region 海门市]

Loads a raw/ folder into a temporary warehouse through `qcity load` (the report is written beside it,
tmp/qcity_report/index.html), then takes headless-Chromium screenshots: the top of the page (header,
legend, the first regions' tables and charts) and one region's section (the regions above it hidden) with a chart point hovered, so the
picture shows a point's source. Needs chromium (`make report-prereqs`).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WIDTH, HEIGHT = 1400, 1900
# Run in a copy of the page: hide the regions above REGION's section (a headless screenshot of a scrolled
# page comes out blank) and hover its first chart's last point, as a mouse would. The report file itself
# is not changed.
FOCUS = """
<script>
window.addEventListener('load', function () { setTimeout(function () {
  var section = document.getElementById(%(anchor)s);
  for (var s = section.previousElementSibling; s; s = s.previousElementSibling) {
    if (s.classList.contains('region')) { s.style.display = 'none'; }
  }
  var gd = section.querySelector('.plotly-graph-div');
  if (gd) {
    var ys = gd.data[0].y, last = ys.length - 1;
    while (last > 0 && ys[last] === null) { last--; }
    Plotly.Fx.hover(gd, [{curveNumber: 0, pointNumber: last}]);
  }
}, 500); });
</script>
"""


def chromium_binary() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (make report-prereqs)")
    return chromium


def screenshot(page: Path, out: Path, profile: Path) -> None:
    subprocess.run([chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=10000",
                    f"--screenshot={out}", page.resolve().as_uri()], check=True, capture_output=True, timeout=180)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT / "raw")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--region", default="新化县", help="the region of the second screenshot")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="qcity-report-screenshot-"))
    try:
        home, db = base / "dagster_home", base / "qcity.duckdb"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("QCITY_REPORT_DIR", "QCITY_GX_DOCS")}
        env |= {"DAGSTER_HOME": str(home), "QCITY_DB": str(db), "QCITY_RAW": str(args.raw.resolve())}
        load = subprocess.run([str(BIN / "qcity"), "load"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=900)
        print(load.stdout)
        if load.returncode not in (0, 3):       # 3: loaded, with figures quarantined or files rejected
            print(load.stderr, file=sys.stderr)
            return 1
        page = base / "qcity_report" / "index.html"     # beside the warehouse (warehouse/reporting/outputs.py)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, args.out, base / "profile")
        print(f"screenshot: {args.out}")
        focused = page.with_name("focused.html")
        anchor = json.dumps(f"region-{args.region}", ensure_ascii=False)
        focused.write_text(page.read_text(encoding="utf-8").replace("</body>", FOCUS % {"anchor": anchor} + "</body>"),
                           encoding="utf-8")
        region_out = args.out.with_name(f"{args.out.stem}_region{args.out.suffix}")
        screenshot(focused, region_out, base / "profile")
        print(f"screenshot: {region_out}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
