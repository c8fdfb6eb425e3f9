"""Watch raw/ for added, changed and removed files and launch a load for them."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from extraction.sources import list_raw_files
from orchestration.jobs import nightly_load_job
from orchestration.resources import raw_path_from_env


def raw_folder_state(raw_dir: Path) -> dict[str, str]:
    """file → (size, mtime) fingerprint of every candidate document and the manifest."""
    state = {}
    for name in list_raw_files(raw_dir) + (["manifest.csv"] if (raw_dir / "manifest.csv").exists() else []):
        st = (raw_dir / name).stat()
        state[name] = f"{st.st_size}:{st.st_mtime_ns}"
    return state


def diff_states(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(before)),
        "changed": sorted(f for f in set(after) & set(before) if after[f] != before[f]),
        "removed": sorted(set(before) - set(after)),
    }


@sensor(job=nightly_load_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Launches a load when files in raw/ are added, changed or removed.")
def raw_documents_sensor(context: SensorEvaluationContext):
    raw_dir = Path(raw_path_from_env())
    if not raw_dir.is_dir():
        return SkipReason(f"raw folder {raw_dir} does not exist")
    after = raw_folder_state(raw_dir)
    before = json.loads(context.cursor) if context.cursor else {}
    changes = diff_states(before, after)
    context.update_cursor(json.dumps(after, sort_keys=True))
    if not any(changes.values()):
        return SkipReason("raw/ unchanged")
    run_key = hashlib.sha256(json.dumps(after, sort_keys=True).encode()).hexdigest()[:16]
    tags = {f"qcity/{k}": str(len(v)) for k, v in changes.items()}
    return RunRequest(run_key=run_key, tags=tags)
