"""The raw folder as a list of documents: bytes, sha256, decoded text and manifest metadata.

Nothing outside the raw folder is ever read: symlinks that resolve outside it are rejected.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from extraction.decoding import UndecodableDocument, decode_document
from extraction.manifest import MANIFEST_NAME, ManifestProblem, read_manifest

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class RawDocument:
    file: str
    doc_id: str  # sha256 of the raw bytes
    size: int
    encoding: str
    text: str
    url: str = ""
    title: str = ""
    published: str = ""
    region_override: str = ""
    year_override: int | None = None
    # (size, mtime_ns, ctime_ns, inode) when the bytes were read: the same signature later means the same
    # bytes without opening the file (ctime changes with every write and cannot be set back by a program).
    signature: tuple[int, int, int, int] | None = None
    reused: bool = False  # True: not read this scan, its signature matched the staged one (text left empty)

    @property
    def metadata_fingerprint(self) -> str:
        """sha256 of the manifest metadata the extractor reads: a changed manifest row re-extracts the document."""
        metadata = [self.url, self.title, self.published, self.region_override, self.year_override]
        return hashlib.sha256(json.dumps(metadata, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RejectedDocument:
    file: str
    doc_id: str
    size: int
    reason: str
    # of a file whose bytes were read and could not be decoded: the same signature later, the same verdict
    signature: tuple[int, int, int, int] | None = field(default=None, compare=False)


@dataclass
class RawScan:
    documents: list[RawDocument] = field(default_factory=list)
    rejected: list[RejectedDocument] = field(default_factory=list)
    manifest_problems: list[ManifestProblem] = field(default_factory=list)
    manifest_signature: tuple[int, int, int, int] | None = None   # of raw/manifest.csv as read


def list_raw_files(raw_dir: Path) -> list[str]:
    """Relative POSIX names of candidate documents under raw_dir (no manifest, no hidden files)."""
    names = []
    top = os.fspath(raw_dir)
    for root, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        folder = os.path.relpath(root, top)
        # A symlinked directory is never walked, but it is listed, so that it is recorded as rejected.
        linked = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = [d for d in dirs if d not in linked]
        files = files + linked
        for f in sorted(files):
            if f.startswith(".") or f == MANIFEST_NAME:
                continue
            names.append(f if folder == "." else Path(folder, f).as_posix())
    return sorted(names)


def file_signature(path: Path | str) -> tuple[int, int, int, int] | None:
    """(size, mtime_ns, ctime_ns, inode) of a file, None when it is not there: equal signatures, same bytes."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def unchanged_since(raw_dir: Path | str, known: dict[str, KnownFile], manifest: tuple | None) -> bool:
    """True when raw/ holds exactly the files of `known`, each with its known signature, and the manifest has
    the signature `manifest` (None: no manifest): a check that stats every file and opens none."""
    raw_dir = Path(raw_dir)
    names = list_raw_files(raw_dir)
    if set(names) != set(known) or file_signature(raw_dir / MANIFEST_NAME) != manifest:
        return False
    return all(file_signature(raw_dir / name) == known[name].signature for name in names)


def _inside(path: Path | str, resolved_root: Path | str) -> bool:
    # os.path on strings, not pathlib: this runs for every file of a 10,000-document folder
    return os.path.realpath(path).startswith(os.path.join(resolved_root, ""))


def _name_inside(path: str, name: str, link: os.stat_result | None, resolved_root: Path | str) -> bool:
    """_inside for `name` under raw/ (`path`), whose lstat is `link`. A name of the top folder that is not a
    symlink cannot lead out: one lstat decides, where a realpath costs a system call per component of the
    path, for every file of a 10,000-document folder. Any other name is resolved in full."""
    if link is not None and "/" not in name and name not in ("", ".", "..") and not stat.S_ISLNK(link.st_mode):
        return True
    return _inside(path, resolved_root)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


@dataclass(frozen=True)
class KnownFile:
    """What an earlier scan staged for a file: enough to keep it without reading it again."""

    signature: tuple[int, int, int, int]
    doc_id: str
    encoding: str
    rejected: str | None = None   # the reason, for a file whose bytes could not be decoded


def read_raw_document(raw_dir: Path, name: str, max_bytes: int = DEFAULT_MAX_BYTES,
                      resolved_root: Path | None = None, known: KnownFile | None = None) -> RawDocument | RejectedDocument:
    """One file of raw/ as a document, or a rejection with its reason. `resolved_root`: raw_dir.resolve(),
    when the caller reads many files (resolving it again per file costs a dozen system calls). `known`: the
    file as an earlier scan staged it; when its stat signature still matches, the file is not opened."""
    path = os.path.join(raw_dir, name)
    link = _lstat(path)
    if not _name_inside(path, name, link, resolved_root or raw_dir.resolve()):
        return RejectedDocument(name, "", 0, "path resolves outside raw/ (symlink or '..'); not read")
    try:
        st = link if link is not None and not stat.S_ISLNK(link.st_mode) else os.stat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        return RejectedDocument(name, "", 0, "a symlinked directory inside raw/: not followed (its files are read where they are)")
    if st is None or not stat.S_ISREG(st.st_mode):
        return RejectedDocument(name, "", 0, "not a regular file")
    signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    size = signature[0]
    if size > max_bytes:
        return RejectedDocument(name, "", size, f"file is {size} bytes, over the {max_bytes}-byte limit")
    if known is not None and known.signature == signature:
        if known.rejected is not None:
            return RejectedDocument(name, known.doc_id, size, known.rejected, signature)
        return RawDocument(name, known.doc_id, size, known.encoding, "", signature=signature, reused=True)
    with open(path, "rb") as handle:
        data = handle.read()
    doc_id = hashlib.sha256(data).hexdigest()
    try:
        decoded = decode_document(data)
    except UndecodableDocument as exc:
        return RejectedDocument(name, doc_id, size, str(exc), signature)
    return RawDocument(name, doc_id, size, decoded.encoding, decoded.text, signature=signature)


def scan_raw_folder(raw_dir: Path | str, max_bytes: int = DEFAULT_MAX_BYTES,
                    known: dict[str, KnownFile] | None = None) -> RawScan:
    """Every file of raw/ with the manifest's metadata. `known`: file → what an earlier scan staged; a file
    whose stat signature is unchanged comes back `reused`, without its text and without being opened."""
    raw_dir = Path(raw_dir)
    known = known or {}
    scan = RawScan()
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    root = raw_dir.resolve()
    manifest = raw_dir / MANIFEST_NAME
    if manifest.exists() and not _inside(manifest, root):
        entries, problems = {}, [ManifestProblem(0, MANIFEST_NAME, "manifest is a symlink out of raw/; not read")]
    else:
        scan.manifest_signature = file_signature(manifest)
        entries, problems = read_manifest(manifest)
    scan.manifest_problems.extend(problems)
    names = list_raw_files(raw_dir)
    present = set(names)
    for name in sorted(set(entries)):
        path = os.path.join(raw_dir, name)
        if not _name_inside(path, name, _lstat(path), root):
            scan.manifest_problems.append(ManifestProblem(entries[name].line, name, "path leaves raw/ through a symlink; not read"))
            del entries[name]
        elif name not in present:
            scan.manifest_problems.append(ManifestProblem(entries[name].line, name, "listed in the manifest but the file is missing"))
    for name in names:
        result = read_raw_document(raw_dir, name, max_bytes, root, known.get(name))
        if isinstance(result, RejectedDocument):
            scan.rejected.append(result)
            continue
        meta = entries.get(name)
        if meta is not None:
            result = dataclasses.replace(
                result, url=meta.url, title=meta.title, published=meta.published,
                region_override=meta.region_zh, year_override=meta.year,
            )
        scan.documents.append(result)
    return scan
