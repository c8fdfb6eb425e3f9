"""Run the extractor over seed and dev and score against the gold (a developer helper, not a test).

usage: .venv/bin/python bench/score_extraction.py [seed|dev|series|all] [--errors N] [--oracle-region] [--no-region]
  --oracle-region  fill empty region_zh from the gold (measures the extractor without the region module)
  --no-region      skip region resolution (for timing the extractor alone)
"""
from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from extraction.engine import extract_figures  # noqa: E402
from extraction.models import CSV_COLUMNS, Document  # noqa: E402

SHARED = Path("/work/shared")
SETS = {
    "seed": (SHARED / "corpus/seed", SHARED / "gold/seed_gold.csv", Path(__file__).resolve().parents[1] / "raw/manifest.csv"),
    "dev": (SHARED / "corpus/dev", SHARED / "gold/dev_gold.csv", SHARED / "corpus/dev/index.csv"),
    "series": (SHARED / "corpus/series", SHARED / "gold/series_gold.csv", SHARED / "corpus/series/index.csv"),
}


def _gold_regions(gold: Path) -> dict:
    """doc -> its most common gold region (for --oracle-region: measures the extractor alone)."""
    import collections
    counts = collections.defaultdict(collections.Counter)
    with open(gold, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            counts[r["doc"]][r["region_zh"]] += 1
    return {d: c.most_common(1)[0][0] for d, c in counts.items()}


def run(name: str, errors: int, oracle_region: bool = False) -> None:
    docs, gold, manifest = SETS[name]
    oracle = _gold_regions(gold) if oracle_region else {}
    meta = {}
    if manifest.exists():
        with open(manifest, newline="", encoding="utf-8") as f:
            meta = {r["file"]: r for r in csv.DictReader(f)}
    out = Path(f"/tmp/pred_{name}.csv")
    total_chars, t0 = 0, time.perf_counter()
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(CSV_COLUMNS), extrasaction="ignore")
        w.writeheader()
        for p in sorted(docs.glob("*.txt")):
            text = p.read_text(encoding="utf-8")
            m = meta.get(p.name, {})
            total_chars += len(text)
            doc = Document(p.name, text, m.get("url", ""), m.get("title", ""), m.get("published", ""))
            for fig in extract_figures(doc):
                row = fig.as_row()
                if oracle and not row["region_zh"]:
                    row["region_zh"] = oracle.get(p.name, "")
                w.writerow(row)
    dt = time.perf_counter() - t0
    print(f"== {name}: {total_chars} chars in {dt:.3f}s = {total_chars / dt:,.0f} chars/s")
    subprocess.run([sys.executable, str(SHARED / "tools/score_figures.py"), "--gold", str(gold), "--pred", str(out),
                    "--docs", str(docs), "--errors", str(errors), "--json", f"/tmp/score_{name}.json"])


if __name__ == "__main__":
    if "--no-region" in sys.argv:  # time the extractor alone
        import extraction.engine as _engine
        _engine.resolve_document_region = None
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    n = int(sys.argv[sys.argv.index("--errors") + 1]) if "--errors" in sys.argv else 0
    for s in (["seed", "dev"] if which == "all" else [which]):
        run(s, n, "--oracle-region" in sys.argv)
