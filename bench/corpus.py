"""Deterministic synthetic corpora, recombined from the real documents of raw/ and ../shared/corpus/.

Document i of a corpus depends only on (seed, i): the corpus of N + 100 documents is the corpus of N
plus 100 new ones, which is what the incremental-load benchmark needs. Each synthetic document keeps
the headline lines of a real "base" document (so its region still resolves), shuffles the base's body
paragraphs together with a few number-free paragraphs borrowed from other documents, and scales every
amount by one factor of 0.9–1.1 — so its sha256 is new and the extractor does real work on it.
"""
from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

from extraction.sources import scan_raw_folder

HEAD_LINES = 3          # headline, issuer, date: kept in place so the region and period still resolve
BORROWED_PARAGRAPHS = 2  # paragraphs taken from other documents ("shuffle paragraphs across documents")
_HAS_NUMBER = re.compile(r"[\d〇零一二三四五六七八九十百千万亿两]")
_NUMBER = re.compile(r"(?<![\d.])(\d+)(?:\.(\d+))?(?![\d.])")


@dataclass(frozen=True)
class SourceDocument:
    name: str
    text: str
    url: str
    title: str
    published: str


def default_source_dirs(repo: Path) -> list[Path]:
    shared = repo.parent / "shared" / "corpus"
    return [repo / "raw"] + sorted(p for p in shared.iterdir() if p.is_dir()) if shared.is_dir() else [repo / "raw"]


def load_sources(dirs: list[Path]) -> list[SourceDocument]:
    """Every readable document of the folders, with its manifest metadata (manifest.csv or index.csv)."""
    sources = []
    for d in dirs:
        meta = _index_metadata(d / "index.csv")
        for raw in scan_raw_folder(d).documents:
            if raw.file == "index.csv":
                continue
            url, title, published = meta.get(raw.file, (raw.url, raw.title, raw.published))
            sources.append(SourceDocument(f"{d.name}/{raw.file}", raw.text, url, title, published))
    if not sources:
        raise FileNotFoundError(f"no source documents in {', '.join(map(str, dirs))}")
    return sources


def _index_metadata(index: Path) -> dict[str, tuple[str, str, str]]:
    if not index.is_file():
        return {}
    with index.open(encoding="utf-8", newline="") as f:
        return {r["file"]: (r.get("url") or "", r.get("title") or "", r.get("published") or "") for r in csv.DictReader(f)}


def _vary_numbers(text: str, factor: float) -> str:
    """Scale every amount of a document by one factor, keeping its decimals. Years (1900–2099) and rates
    (followed by % or ‰) stay as they are, and one factor per document keeps parts below their totals —
    so the synthetic figures still pass the warehouse's row and subject rules."""
    def vary(m: re.Match) -> str:
        whole, frac = m.group(1), m.group(2)
        if frac is None and len(whole) == 4 and whole[:2] in ("19", "20"):
            return m.group(0)
        if text[m.end():m.end() + 1] in ("%", "%", "‰"):
            return m.group(0)
        value = float(m.group(0)) * factor
        return f"{value:.{len(frac)}f}" if frac else str(max(1, round(value)))
    return _NUMBER.sub(vary, text)


def synthetic_document(sources: list[SourceDocument], seed: int, index: int) -> tuple[str, SourceDocument]:
    """(text, base document) of synthetic document `index`."""
    rng = random.Random(f"{seed}:{index}")
    base = sources[rng.randrange(len(sources))]
    lines = base.text.split("\n")
    head, body = lines[:HEAD_LINES], [p for p in lines[HEAD_LINES:] if p.strip()]
    for _ in range(BORROWED_PARAGRAPHS):
        # a borrowed paragraph brings words, not numbers: another document's GDP beside this one's parts
        # would be a real inconsistency, which the load rightly refuses
        donor = [p for p in sources[rng.randrange(len(sources))].text.split("\n")[HEAD_LINES:]
                 if p.strip() and not _HAS_NUMBER.search(p)]
        if donor:
            body.append(donor[rng.randrange(len(donor))])
    rng.shuffle(body)
    factor = rng.uniform(0.9, 1.1)
    # a digit-free tag keeps every document's sha256 unique without giving the extractor a number to read
    text = "\n".join(head + [_vary_numbers(p, factor) for p in body]) + f"\n(bench {_letters(seed)}-{_letters(index)})\n"
    return text, base


def _letters(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(ord("a") + r) + out
        if n == 0:
            return out


def document_name(index: int) -> str:
    return f"syn_{index:06d}.txt"


def write_corpus(out_dir: Path, sources: list[SourceDocument], seed: int, start: int, stop: int,
                 manifest: bool = True) -> int:
    """Write documents start..stop-1 into out_dir (and append their manifest rows); return the bytes written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.csv"
    new_manifest = not manifest_path.exists()
    total = 0
    with manifest_path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        if new_manifest:
            writer.writerow(["file", "url", "title", "published"])
        for i in range(start, stop):
            text, base = synthetic_document(sources, seed, i)
            data = text.encode("utf-8")
            (out_dir / document_name(i)).write_bytes(data)
            total += len(data)
            if manifest:
                writer.writerow([document_name(i), base.url, base.title, base.published])
    return total
