"""What a run tells its log as it goes: progress over documents (a rich bar on a terminal, plain log lines
every ~10%, at most one a second, everywhere else), and the first few items of a list, the rest counted."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")

PROGRESS_LINE_SECONDS = 1.0
# Items (rejected files, manifest problems, quarantined figures) a run's log names one by one; the others are
# counted in one line. Each log line is a Dagster event (10–20 ms with SQLite storage: a raw/ folder with a
# thousand manifest problems spent over 10 s logging them), and the warehouse tables hold every item.
NAMED_IN_LOG = 20


def log_first(log: Callable[[str], None], items: Sequence[T], describe: Callable[[T], str], rest: str) -> None:
    """`describe(item)` for the first NAMED_IN_LOG items, then "… and N more {rest}" for the others."""
    for item in items[:NAMED_IN_LOG]:
        log(describe(item))
    if len(items) > NAMED_IN_LOG:
        log(f"… and {len(items) - NAMED_IN_LOG} more {rest}")


@contextmanager
def document_progress(total: int, label: str, log: Callable[[str], None]) -> Iterator[Callable[[str], None]]:
    """Yield `advance(file)`, to be called once per document handled."""
    started = time.perf_counter()
    if total and sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.fields[file]}"), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(label, total=total, file="")
            yield lambda file: bar.update(task, advance=1, file=file)
        return
    step = max(1, total // 10)
    done, last_line = 0, started

    def advance(file: str) -> None:
        # each line is an event the run writes to Dagster's storage: a fast pass logs its end only
        nonlocal done, last_line
        done += 1
        now = time.perf_counter()
        if done == total or (done % step == 0 and now - last_line >= PROGRESS_LINE_SECONDS):
            last_line = now
            log(f"{label}: {done}/{total} documents ({now - started:.1f}s)")

    yield advance
