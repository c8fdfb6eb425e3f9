"""Progress over documents: a rich bar on a terminal, plain log lines (every ~10%) everywhere else."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator


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
    done = 0

    def advance(file: str) -> None:
        nonlocal done
        done += 1
        if done % step == 0 or done == total:
            log(f"{label}: {done}/{total} documents ({time.perf_counter() - started:.1f}s)")

    yield advance
