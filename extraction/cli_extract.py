"""The extraction contract behind `qcity extract`: files in, figure-schema CSV out."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from extraction.decoding import UndecodableDocument, decode_document
from extraction.engine import extract_figures
from extraction.manifest import read_manifest
from extraction.models import CSV_COLUMNS, Document


def _files(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".") and f.suffix != ".csv")
        else:
            out.append(p)
    return out


def extract_paths(paths: list[Path], manifest: Path | None) -> tuple[list[dict], list[str]]:
    entries = {}
    problems: list[str] = []
    if manifest is not None:
        by_name, manifest_problems = read_manifest(manifest)
        entries = {Path(k).name: v for k, v in by_name.items()}
        problems += [f"manifest line {p.line} ({p.file}): {p.reason}" for p in manifest_problems]
    rows: list[dict] = []
    for path in _files(paths):
        try:
            text = decode_document(path.read_bytes()).text
        except UndecodableDocument as exc:
            problems.append(f"skipped {path}: {exc}")
            continue
        meta = entries.get(path.name)
        doc = Document(path.name, text, meta.url, meta.title, meta.published, meta.region_zh, meta.year) if meta \
            else Document(path.name, text)
        try:
            rows += [f.as_row() for f in extract_figures(doc)]
        except Exception as exc:  # one document's rule bug is reported, the others are extracted
            problems.append(f"extractor error in {path}: {type(exc).__name__}: {exc}")
    return rows, problems


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return str(value)


def write_csv(rows: list[dict], out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    extras = sorted({k for r in rows for k in r} - set(CSV_COLUMNS))
    writer.writerow(list(CSV_COLUMNS) + extras)
    for r in rows:
        writer.writerow([_fmt(r.get(c)) for c in list(CSV_COLUMNS) + extras])
