"""One writer at a time: DuckDB allows a single writing process per file, so every access takes a lock.

A second load waits up to its timeout, then fails with a clear message instead of DuckDB's lock traceback.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout


class WarehouseBusy(RuntimeError):
    """The warehouse is held by another process for longer than we were willing to wait."""


def _holder(lock_path: Path) -> str:
    try:
        return lock_path.with_suffix(lock_path.suffix + ".owner").read_text().strip()
    except OSError:
        return "another process"


def _program() -> str:
    """`qcity sql`, `qcity load`, …: what holds a lock, for the one who waits."""
    if Path(sys.argv[0]).name == "qcity" and len(sys.argv) > 1:
        return f"qcity {sys.argv[1]}"
    return Path(sys.argv[0]).name or "python"


def announce_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def hold(lock_path: Path, timeout: float, what: str,
         announce: Callable[[str], None] | None = announce_on_stderr) -> Iterator[None]:
    """Hold `lock_path`, waiting up to `timeout` seconds; a wait is announced (who holds it) before it starts."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), is_singleton=False)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if timeout <= 0:
                raise
            if announce is not None:
                announce(f"{what}: waiting up to {timeout:g}s for {_holder(lock_path)} to release {lock_path.name} …")
            lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise WarehouseBusy(
            f"busy: {what}: {lock_path.name} is held by {_holder(lock_path)} (waited {timeout:g}s); "
            "try again when it finishes, or give --wait more seconds"
        ) from exc
    owner = lock_path.with_suffix(lock_path.suffix + ".owner")
    try:
        owner.write_text(f"pid {os.getpid()} ({_program()})")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def db_lock_path(db_path: Path | str) -> Path:
    """Held for every connection (short)."""
    return Path(str(db_path) + ".lock")


def load_lock_path(db_path: Path | str) -> Path:
    """Held for a whole load run, so two loads never interleave."""
    return Path(str(db_path) + ".load.lock")


TEST_PAUSE_ENV = "QCITY_TEST_PAUSE_IN_TRANSACTION"


def pause_here_for_fault_tests() -> None:
    """Test-only hook: with QCITY_TEST_PAUSE_IN_TRANSACTION=<seconds>, the load transaction stops here,
    after its writes and before COMMIT, and says so on stderr, so that the fault and concurrency tests
    (tests/test_operations.py) can kill it or race it exactly mid-write. Unset: does nothing."""
    seconds = os.environ.get(TEST_PAUSE_ENV)
    if seconds:
        import sys
        import time

        print(f"{TEST_PAUSE_ENV}: pausing {seconds}s inside the load transaction", file=sys.stderr, flush=True)
        time.sleep(float(seconds))
