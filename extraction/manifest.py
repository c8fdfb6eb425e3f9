"""raw/manifest.csv: optional metadata per raw file (file,url,title,published), validated row by row."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from extraction.decoding import UndecodableDocument, decode_document

MANIFEST_NAME = "manifest.csv"
COLUMNS = ("file", "url", "title", "published", "region_zh", "year")  # region_zh, year: optional corrections


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    url: str = ""
    title: str = ""
    published: str = ""
    region_zh: str = ""        # overrides the document's region (basis `manifest`)
    year: int | None = None    # overrides the year the document reports on (basis `manifest`)
    line: int = 0  # line in manifest.csv, for problems found later (missing file, symlink out)


@dataclass(frozen=True)
class ManifestProblem:
    line: int
    file: str
    reason: str


def _safe_relative(name: str) -> str | None:
    """The manifest's file name as a path inside raw/, or None when it would leave raw/."""
    if not name or "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    # PurePosixPath(name).parts as string splits: the manifest of a 10,000-document folder has 10,000 rows
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts) or "."


def _check_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
        return True
    except ValueError:
        return False


def parse_manifest(text: str) -> tuple[dict[str, ManifestEntry], list[ManifestProblem]]:
    """Parse manifest CSV text. Bad rows are skipped and reported; extra columns are ignored."""
    entries: dict[str, ManifestEntry] = {}
    problems: list[ManifestProblem] = []
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "file" not in reader.fieldnames:
        return {}, [ManifestProblem(1, "", "manifest has no 'file' column in its header")]
    for line_no, row in enumerate(reader, start=2):
        raw_name = (row.get("file") or "").strip()
        name = _safe_relative(raw_name)
        if name is None:
            problems.append(ManifestProblem(line_no, raw_name, "path is empty or leaves raw/ (absolute, '..' or drive)"))
            continue
        published = (row.get("published") or "").strip()
        if published and not _check_date(published):
            problems.append(ManifestProblem(line_no, name, f"bad date {published!r} (want YYYY-MM-DD)"))
            continue
        year_text = (row.get("year") or "").strip()
        if year_text and not (year_text.isdigit() and 1900 <= int(year_text) <= 2100):
            problems.append(ManifestProblem(line_no, name, f"bad year {year_text!r} (want YYYY)"))
            continue
        if name in entries:
            problems.append(ManifestProblem(line_no, name, "duplicate row for this file (first row kept)"))
            continue
        entries[name] = ManifestEntry(
            file=name,
            url=(row.get("url") or "").strip(),
            title=(row.get("title") or "").strip(),
            published=published,
            region_zh=(row.get("region_zh") or "").strip(),
            year=int(year_text) if year_text else None,
            line=line_no,
        )
    return entries, problems


def read_manifest(path: Path) -> tuple[dict[str, ManifestEntry], list[ManifestProblem]]:
    """The manifest's rows and problems. It should be UTF-8; another text encoding is read with the
    documents' own decoder and recorded as a problem; unreadable bytes are a problem and no metadata
    (line 0: the whole file). Either way the documents load."""
    if not path.exists():
        return {}, []
    try:
        decoded = decode_document(path.read_bytes())
    except UndecodableDocument as exc:
        return {}, [ManifestProblem(0, MANIFEST_NAME, f"manifest is not readable text ({exc}); its metadata is ignored")]
    entries, problems = parse_manifest(decoded.text)
    if decoded.encoding not in ("utf_8", "utf_8_sig"):
        problems.insert(0, ManifestProblem(
            0, MANIFEST_NAME, f"manifest is {decoded.encoding}, not UTF-8: read as {decoded.encoding}; save it as UTF-8"))
    return entries, problems
