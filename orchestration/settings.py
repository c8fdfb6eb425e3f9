"""Where qcity's files are, from the environment: a leaf module (os and pathlib only).

The resources, the loads and every CLI command read their defaults here, so a command that only needs a
path — `qcity sql` above all — never imports Dagster to learn it.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = PROJECT_ROOT / "warehouse" / "qcity.duckdb"
DEFAULT_RAW = PROJECT_ROOT / "raw"


def db_path_from_env() -> str:
    """$QCITY_DB, default warehouse/qcity.duckdb in the repository."""
    return os.environ.get("QCITY_DB") or str(DEFAULT_DB)


def raw_path_from_env() -> str:
    """$QCITY_RAW, default raw/ in the repository."""
    return os.environ.get("QCITY_RAW") or str(DEFAULT_RAW)


def max_bytes_from_env() -> int:
    """$QCITY_MAX_BYTES: the largest document read, in bytes (default: the reader's, 5 MB)."""
    from extraction.sources import DEFAULT_MAX_BYTES  # here, so that importing this module stays light

    return int(os.environ.get("QCITY_MAX_BYTES") or DEFAULT_MAX_BYTES)


def apply_default_environment() -> None:
    """Set QCITY_DB, QCITY_RAW and QCITY_MAX_BYTES to their defaults where unset, so that the resources'
    EnvVars resolve in this process and in every step process it starts."""
    os.environ.setdefault("QCITY_DB", db_path_from_env())
    os.environ.setdefault("QCITY_RAW", raw_path_from_env())
    os.environ.setdefault("QCITY_MAX_BYTES", str(max_bytes_from_env()))
