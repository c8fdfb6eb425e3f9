"""The raw/ sensor: which documents a run is requested for when files are added, changed and removed."""
from __future__ import annotations

import json
import os

import pytest
from dagster import RunRequest, SkipReason, build_sensor_context

from orchestration.resources import RawFolderResource
from orchestration.sensors import plan_sensor_run, raw_documents_sensor


def tick(raw_dir, cursor):
    context = build_sensor_context(cursor=cursor, resources={"raw_folder": RawFolderResource(path=str(raw_dir))})
    return raw_documents_sensor(context), context.cursor


def write(path, text, mtime_ns=None):
    path.write_text(text, encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_sensor_requests_exactly_the_added_changed_and_removed_documents(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    write(raw / "a.txt", "海门市上半年完成地区生产总值410亿元。")
    write(raw / "b.txt", "海门市一般公共预算收入35亿元。")

    first, cursor = tick(raw, None)
    assert isinstance(first, RunRequest)
    assert first.run_config["ops"]["figures"]["config"]["only_files"] == ["a.txt", "b.txt"]
    assert first.tags["qcity/added"] == "2"

    unchanged, cursor = tick(raw, cursor)
    assert isinstance(unchanged, SkipReason)

    write(raw / "a.txt", "海门市上半年完成地区生产总值420亿元。", mtime_ns=1_700_000_000_000_000_000)
    (raw / "b.txt").unlink()
    write(raw / "c.txt", "海门市新增省级以上品牌3个。")
    request, cursor = tick(raw, cursor)
    assert isinstance(request, RunRequest)
    assert request.run_config["ops"]["figures"]["config"]["only_files"] == ["a.txt", "c.txt"]
    assert (request.tags["qcity/added"], request.tags["qcity/changed"], request.tags["qcity/removed"]) == ("1", "1", "1")
    assert request.tags["qcity/files"] == "a.txt,b.txt,c.txt"
    assert json.loads(cursor).keys() == {"a.txt", "c.txt"}

    (raw / "c.txt").unlink()
    removal_only, cursor = tick(raw, cursor)
    # Nothing to extract; the run's full scan of raw/ retires c.txt.
    assert removal_only.run_config["ops"]["figures"]["config"]["only_files"] == []
    assert removal_only.tags["qcity/removed"] == "1"


def test_sensor_skips_a_missing_raw_folder(tmp_path):
    result, _ = tick(tmp_path / "nope", None)
    assert isinstance(result, SkipReason) and "does not exist" in result.skip_message


@pytest.mark.parametrize("before, after, only_files", [
    ({}, {"a.txt": "1:1"}, ["a.txt"]),                                          # added
    ({"a.txt": "1:1"}, {"a.txt": "2:2"}, ["a.txt"]),                            # changed (size/mtime)
    ({"a.txt": "1:1", "b.txt": "1:1"}, {"a.txt": "1:1"}, []),                   # removed: nothing to extract
    ({"a.txt": "1:1"}, {"a.txt": "1:1", "manifest.csv": "1:1"}, None),          # manifest: every document
    ({"sub/x.txt": "1:1"}, {"sub/x.txt": "1:2", "y.txt": "1:1"}, ["sub/x.txt", "y.txt"]),
])
def test_plan_sensor_run(before, after, only_files):
    run = plan_sensor_run(before, after)
    assert run.only_files == only_files
    assert run.run_key == plan_sensor_run({}, after).run_key  # the key names the folder state, not the path to it


def test_plan_sensor_run_nothing_changed():
    assert plan_sensor_run({"a.txt": "1:1"}, {"a.txt": "1:1"}) is None


@pytest.mark.parametrize("only_files", [["a.txt", "c.txt"], [], None])
def test_sensor_run_config_is_valid_for_the_job(only_files):
    from dagster import validate_run_config

    from orchestration.definitions import defs
    from orchestration.sensors import SensorRun

    job = defs.resolve_job_def("nightly_load_job")
    config = validate_run_config(job, SensorRun(only_files, {}, "k").run_config)
    assert config["ops"]["figures"]["config"]["only_files"] == only_files
