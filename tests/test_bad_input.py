"""Bad input, through one real load: odd encodings load, bad files are rejected with reasons, manifest
problems are reported and their rows skipped, and nothing outside raw/ is read."""
from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, materialize_load, write_raw

QCITY = str(__import__("pathlib").Path(sys.executable).with_name("qcity"))
MAX_BYTES = 4096

DOCUMENTS = {  # file → bytes
    "gb18030.txt": "海门市2020年上半年完成地区生产总值410亿元,同比增长8.8%。".encode("gb18030"),
    "big5.txt": "臺州市黃巖區2020年上半年產品質量監督抽查合格率為95.3%。".encode("big5"),
    "bom.txt": codecs.BOM_UTF8 + "启东市2020年一般公共预算收入35亿元。".encode("utf-8"),
    "empty.txt": b"",
    "binary.bin": bytes(range(256)) * 10,
    "oversized.txt": ("海门市地区生产总值410亿元。" * 400).encode("utf-8"),
    "undecodable.txt": bytes(range(128, 256)) * 4,
}
OUTSIDE_TEXT = "秘密市2020年地区生产总值999999亿元。"
MANIFEST = """file,url,title,published
gb18030.txt,http://example.gov.cn/1,海门,2020-07-20
gb18030.txt,http://example.gov.cn/dup,重复,2020-07-21
big5.txt,,,2020-13-45
gone.txt,,,
../outside.txt,,,
{outside},,,
link.txt,,,
"""


@pytest.fixture(scope="module")
def bad_load(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad_input")
    raw = write_raw(base / "raw", DOCUMENTS)
    outside = base / "outside.txt"
    outside.write_text(OUTSIDE_TEXT, encoding="utf-8")
    (raw / "link.txt").symlink_to(outside)
    (raw / "manifest.csv").write_text(MANIFEST.format(outside=outside), encoding="utf-8")
    db = base / "w.duckdb"
    saved = os.environ.get("QCITY_MAX_BYTES")
    os.environ["QCITY_MAX_BYTES"] = str(MAX_BYTES)
    try:
        result = materialize_load(raw, db)
    finally:
        os.environ.pop("QCITY_MAX_BYTES") if saved is None else os.environ.__setitem__("QCITY_MAX_BYTES", saved)
    return result, raw, db


@pytest.mark.parametrize("file, encoding, value, unit", [
    ("gb18030.txt", "gb18030", 410, "亿元"),
    ("big5.txt", "big5hkscs", 95.3, "%"),
    ("bom.txt", "utf_8_sig", 35, "亿元"),
])
def test_encoded_document_loads_with_its_figures(bad_load, read_db, file, encoding, value, unit):
    _, _, db = bad_load
    assert read_db(db, "SELECT encoding FROM dim_document WHERE file = ? AND retired_at IS NULL", [file]) == [(encoding,)]
    figures = read_db(db, "SELECT value, unit_zh FROM fact_figure WHERE file = ? AND retired_at IS NULL", [file])
    assert (value, unit) in [(float(v), u) for v, u in figures]


@pytest.mark.parametrize("file, reason", [
    ("empty.txt", "empty file (0 bytes)"),
    ("binary.bin", "binary content"),
    ("oversized.txt", f"over the {MAX_BYTES}-byte limit"),
    ("undecodable.txt", "no text encoding fits these bytes"),
    ("link.txt", "outside raw/"),
])
def test_bad_file_is_rejected_with_its_reason(bad_load, read_db, file, reason):
    _, _, db = bad_load
    rows = read_db(db, "SELECT reason FROM rejected_documents WHERE file = ? AND resolved_at IS NULL", [file])
    assert len(rows) == 1 and reason in rows[0][0], rows
    assert read_db(db, "SELECT count(*) FROM dim_document WHERE file = ?", [file]) == [(0,)]


@pytest.mark.parametrize("line, file, reason", [
    (3, "gb18030.txt", "duplicate row"),
    (4, "big5.txt", "bad date '2020-13-45'"),
    (5, "gone.txt", "file is missing"),
    (6, "../outside.txt", "leaves raw/"),
    (7, "/", "leaves raw/"),  # the absolute path of outside.txt
    (8, "link.txt", "leaves raw/ through a symlink"),
])
def test_manifest_problem_is_recorded_and_its_row_skipped(bad_load, read_db, line, file, reason):
    _, _, db = bad_load
    rows = read_db(db, "SELECT file, reason FROM manifest_problems WHERE line = ?", [line])
    assert len(rows) == 1 and rows[0][0].startswith(file) and reason in rows[0][1], rows


def test_skipped_manifest_rows_do_not_apply_and_good_rows_do(bad_load, read_db):
    _, _, db = bad_load
    meta = dict((f, (u, p)) for f, u, p in read_db(db, "SELECT file, url, published::VARCHAR FROM dim_document"))
    assert meta["gb18030.txt"] == ("http://example.gov.cn/1", "2020-07-20")  # first row kept, duplicate skipped
    assert meta["big5.txt"] == (None, None)                                  # bad-date row skipped


def test_nothing_outside_raw_is_read(bad_load, read_db):
    _, _, db = bad_load
    assert read_db(db, "SELECT count(*) FROM fact_figure WHERE quote LIKE '%秘密市%' OR value = 999999") == [(0,)]


def test_the_rest_of_the_load_proceeds(bad_load, read_db):
    result, _, db = bad_load
    figures = result.asset_materializations_for_node("figures")
    assert figures and figures[0].metadata["documents_extracted"].value == 3   # the good documents were extracted
    assert read_db(db, "SELECT count(*) FROM load_runs") == [(1,)]
    assert read_db(db, "SELECT count(*) FROM dim_document WHERE retired_at IS NULL") == [(3,)]


def test_cli_lists_rejects_and_manifest_problems_and_exits_3(bad_load, tmp_path):
    _, raw, db = bad_load
    shutil.copy(db, tmp_path / "w.duckdb")
    run = subprocess.run([QCITY, "load", "--raw", str(raw), "--db", str(tmp_path / "w.duckdb")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "QCITY_MAX_BYTES": str(MAX_BYTES)})
    assert run.returncode == 3, run.stdout + run.stderr  # loaded, with files set aside
    assert ": succeeded" in run.stdout, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    for file in ("empty.txt", "binary.bin", "oversized.txt", "undecodable.txt", "link.txt"):
        assert f"rejected: {file}: " in run.stdout
    assert "manifest line 4 (big5.txt): bad date '2020-13-45'" in run.stdout
    assert "manifest line 5 (gone.txt): listed in the manifest but the file is missing" in run.stdout
