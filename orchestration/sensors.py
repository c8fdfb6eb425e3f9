"""Watch raw/ for added, changed and removed files and launch a load for just those documents.

The sensor's cursor is a size/mtime fingerprint of raw/. Each tick diffs it against the folder and
requests one run of the whole graph whose `figures` step extracts only the added and changed files
(run config `only_files`); removed files are retired by the run's full scan of raw/. A change of
manifest.csv requests an unrestricted run, since metadata of any document may have changed.
One run per tick rather than one per document keeps a 10,000-document load to a single pass;
a failing document is isolated by extraction/batch.py and can be retried alone (`qcity load --only`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from extraction.manifest import MANIFEST_NAME
from extraction.sources import list_raw_files
from orchestration.jobs import nightly_load_job
from orchestration.resources import RawFolderResource

TAG_FILES_LIMIT = 1000  # characters of the file list kept in a run tag (the run config has the full list)


def raw_folder_state(raw_dir: Path) -> dict[str, str]:
    """file → size:mtime fingerprint of every candidate document and the manifest."""
    state = {}
    for name in list_raw_files(raw_dir) + ([MANIFEST_NAME] if (raw_dir / MANIFEST_NAME).exists() else []):
        try:
            st = (raw_dir / name).stat()
        except OSError:  # vanished since the listing, or a dangling symlink: the run's scan will say so
            continue
        state[name] = f"{st.st_size}:{st.st_mtime_ns}"
    return state


def diff_states(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(before)),
        "changed": sorted(f for f in set(after) & set(before) if after[f] != before[f]),
        "removed": sorted(set(before) - set(after)),
    }


@dataclass(frozen=True)
class SensorRun:
    only_files: list[str] | None  # None: every new or changed document (the manifest changed)
    tags: dict[str, str]
    run_key: str

    @property
    def run_config(self) -> dict:
        return {"ops": {"figures": {"config": {"only_files": self.only_files}}}}


def plan_sensor_run(before: dict[str, str], after: dict[str, str]) -> SensorRun | None:
    """The run that brings the warehouse up to `after`, or None when nothing changed."""
    changes = diff_states(before, after)
    if not any(changes.values()):
        return None
    touched = {f for names in changes.values() for f in names}
    documents = sorted(f for f in changes["added"] + changes["changed"] if f != MANIFEST_NAME)
    only_files = None if MANIFEST_NAME in touched else documents
    tags = {f"qcity/{kind}": str(len([f for f in names if f != MANIFEST_NAME])) for kind, names in changes.items()}
    tags["qcity/manifest_changed"] = str(MANIFEST_NAME in touched).lower()
    tags["qcity/files"] = ",".join(sorted(touched - {MANIFEST_NAME}))[:TAG_FILES_LIMIT]
    run_key = hashlib.sha256(json.dumps(after, sort_keys=True).encode()).hexdigest()[:16]
    return SensorRun(only_files, tags, run_key)


@sensor(job=nightly_load_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Launches a load of just the files of raw/ that were added, changed or removed.")
def raw_documents_sensor(context: SensorEvaluationContext, raw_folder: RawFolderResource):
    raw_dir = Path(raw_folder.path)
    if not raw_dir.is_dir():
        return SkipReason(f"raw folder {raw_dir} does not exist")
    after = raw_folder_state(raw_dir)
    before = json.loads(context.cursor) if context.cursor else {}
    run = plan_sensor_run(before, after)
    context.update_cursor(json.dumps(after, sort_keys=True))
    if run is None:
        return SkipReason("raw/ unchanged")
    return RunRequest(run_key=run.run_key, run_config=run.run_config, tags=run.tags)
