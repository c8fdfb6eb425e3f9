"""Screenshot the Dagster UI showing a failed ERROR check in red (issue 18): docs/ui_failed_check.png.

    .venv/bin/python tools/screenshot_ui.py [--out docs/ui_failed_check.png] [--port 3917]

In a temporary DAGSTER_HOME it loads a raw/ folder with one bad figure (a 120 % pass rate, quarantined by
the ERROR rule rate_percent_within_0_100) through `qcity load`, starts the Dagster webserver on 127.0.0.1
over the same instance and takes headless-Chromium screenshots of the asset's checks and of the lineage.
It runs `dagster-webserver` (the UI half of `dagster dev`) without the daemon: the daemon would start
raw_documents_sensor, whose run re-checks the (unchanged) folder, passes, and turns the asset green again
before the picture is taken. Needs chromium (`make report-prereqs`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BAD_DOCUMENT = "2020年，长沙市实现地区生产总值500亿元。全市产品质量监督抽查合格率达120%。\n"
START_TIMEOUT_S = 120
PAGES = {  # file suffix → UI path
    "": "/assets/figures_clean?view=checks",
    "_lineage": "/assets/figures_clean?view=lineage",
    "_asset_graph": "/assets/figures_clean?view=lineage&lineageScope=neighbors&lineageDepth=3",  # the stages and their checks
    "_columns": "/assets/fact_figure?view=overview",        # a description and its column schema from the DDL
}


def wait_for_server(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"the Dagster webserver did not answer on {url} within {timeout:.0f}s")


def screenshot(url: str, out: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (make report-prereqs)")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1500,950", "--virtual-time-budget=25000", f"--screenshot={out}", url],
                   check=True, capture_output=True, timeout=180)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "ui_failed_check.png")
    parser.add_argument("--port", type=int, default=3917)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="qcity-screenshot-"))
    home, raw, db = base / "dagster_home", base / "raw", base / "qcity.duckdb"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n", encoding="utf-8")  # no welcome dialog
    raw.mkdir()
    (raw / "bad.txt").write_text(BAD_DOCUMENT, encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(home), "QCITY_DB": str(db), "QCITY_RAW": str(raw),
           "QCITY_GX_DOCS": str(base / "gx_docs"), "QCITY_REPORT_DIR": str(base / "report")}
    load = subprocess.run([str(BIN / "qcity"), "load"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    print(load.stdout)
    if load.returncode not in (0, 3):   # 3: loaded, with the bad figure quarantined (the point of the picture)
        print(load.stderr, file=sys.stderr)
        return 1
    url = f"http://127.0.0.1:{args.port}"
    # SIGINT restored in the child: the webserver then stops on SIGINT/SIGTERM (notes/stack.md).
    server = subprocess.Popen([str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(args.port),
                               "-w", "workspace.yaml"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for_server(url, START_TIMEOUT_S)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        for suffix, path in PAGES.items():
            out = args.out.with_name(f"{args.out.stem}{suffix}{args.out.suffix}")
            screenshot(url + path, out)
            print(f"screenshot: {out}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
