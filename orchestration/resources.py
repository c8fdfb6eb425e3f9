"""Dagster resources, configured from the environment (QCITY_DB, QCITY_RAW, QCITY_MAX_BYTES: orchestration/settings.py)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
from dagster import ConfigurableResource

from orchestration.settings import DEFAULT_MAX_BYTES, db_path_from_env, max_bytes_from_env, raw_path_from_env
from warehouse import io
from warehouse.locking import WarehouseBusy, db_lock_path, hold


def _connect_or_busy(db_path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection; a process outside qcity's lock (another DuckDB client) holding the file is reported
    as WarehouseBusy (a clear message, and a transient error the retry policy retries) — not DuckDB's traceback."""
    try:
        return io.connect(db_path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WarehouseBusy(f"{db_path} is open in another program (DuckDB allows one writer): {exc}") from exc


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file. Every connection holds the file lock: DuckDB allows one writer."""

    db_path: str
    lock_timeout_s: float = 600.0

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with hold(db_lock_path(self.db_path), self.lock_timeout_s, "write the warehouse"):
            con = _connect_or_busy(self.db_path, read_only=False)
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A read-only connection, or None when the warehouse does not exist yet."""
        if not Path(self.db_path).exists():
            yield None
            return
        with hold(db_lock_path(self.db_path), self.lock_timeout_s, "read the warehouse"):
            con = _connect_or_busy(self.db_path, read_only=True)
            try:
                yield con
            finally:
                con.close()


class RawFolderResource(ConfigurableResource):
    """The folder of raw documents (plus raw/manifest.csv)."""

    path: str
    max_bytes: int = DEFAULT_MAX_BYTES


def resources_from_env(db_path: str | None = None, raw_path: str | None = None) -> dict:
    return {
        "warehouse": WarehouseResource(db_path=db_path or db_path_from_env()),
        "raw_folder": RawFolderResource(
            path=raw_path or raw_path_from_env(),
            max_bytes=max_bytes_from_env(),
        ),
    }
