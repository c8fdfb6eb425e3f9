"""Raw documents: decoding and manifest rules, one case per rule."""
from __future__ import annotations

import codecs

import pytest

from extraction.decoding import UndecodableDocument, decode_document
from extraction.manifest import parse_manifest
from extraction.sources import scan_raw_folder

TEXT = "海门市上半年完成地区生产总值410亿元,同比增长8.8%。"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf_8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf_8_sig"),
    ((TEXT * 3).encode("gb18030"), "gb18030"),
    ("臺州市黃巖區上半年產品質量監督抽查合格率為95.3%,比去年同期提高2.3個百分點。".encode("big5"), "big5hkscs"),
])
def test_decodes(data, encoding):
    decoded = decode_document(data)
    assert decoded.encoding == encoding
    assert "%" in decoded.text


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"   \n\n", "blank"),
    (bytes(range(256)) * 10, "binary"),
])
def test_rejects(data, reason):
    with pytest.raises(UndecodableDocument, match=reason):
        decode_document(data)


@pytest.mark.parametrize("manifest, problem", [
    ("file,url,title,published\n../secret.txt,,,\n", "leaves raw/"),
    ("file,url,title,published\n/etc/passwd,,,\n", "leaves raw/"),
    ("file,url,title,published\na.txt,,,2020-13-45\n", "bad date"),
    ("file,url,title,published\na.txt,,,\na.txt,,,\n", "duplicate"),
    ("name,url\na.txt,\n", "no 'file' column"),
])
def test_manifest_problems(manifest, problem):
    _, problems = parse_manifest(manifest)
    assert len(problems) == 1 and problem in problems[0].reason


def test_manifest_extra_columns_are_ignored():
    entries, problems = parse_manifest("file,url,title,published,region\na.txt,http://x,T,2020-09-24,海门\n")
    assert not problems and entries["a.txt"].published == "2020-09-24"


def test_scan_records_rejects_and_missing_files(tmp_path):
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "manifest.csv").write_text("file,url,title,published\ngood.txt,,,\ngone.txt,,,\n", encoding="utf-8")
    scan = scan_raw_folder(tmp_path, max_bytes=1000)
    assert [d.file for d in scan.documents] == ["good.txt"]
    assert [(r.file, "empty" in r.reason) for r in scan.rejected] == [("empty.txt", True)]
    assert [p.file for p in scan.manifest_problems] == ["gone.txt"]


def test_scan_rejects_oversized_and_symlinks_out(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "big.txt").write_text(TEXT * 100, encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text(TEXT, encoding="utf-8")
    (raw / "link.txt").symlink_to(outside)
    scan = scan_raw_folder(raw, max_bytes=200)
    reasons = {r.file: r.reason for r in scan.rejected}
    assert "over the 200-byte limit" in reasons["big.txt"]
    assert "outside raw/" in reasons["link.txt"]
    assert scan.documents == []


# a manifest's file name → the path inside raw/ it names (None: it would leave raw/)
@pytest.mark.parametrize("name, path", [
    ("a.txt", "a.txt"), ("./a.txt", "a.txt"), ("sub//b.txt", "sub/b.txt"), ("sub/./b.txt", "sub/b.txt"),
    ("sub/", "sub"), ("...", "..."), ("a/.../b", "a/.../b"),
    ("..", None), ("sub/../a.txt", None), ("/etc/passwd", None), ("C:a.txt", None), ("a\\b.txt", None), ("", None),
])
def test_a_manifest_name_is_a_path_inside_raw(name, path):
    from extraction.manifest import _safe_relative

    assert _safe_relative(name) == path
