"""The analyst's SQL window: one statement on a read-only, locked-down DuckDB connection, bounded in time,
rendered as a table, CSV or JSON.

The safety comes from DuckDB's own settings, not from filtering the SQL text: the warehouse opens read-only,
with no access to any file but itself (no COPY … TO, EXPORT, ATTACH, read_text/read_csv of other files), no
extension loading or installing, and a locked configuration, so no SET / RESET / PRAGMA undoes any of it.
This module imports only duckdb and the lock helper: `qcity sql` must start in a fraction of a second.
"""
from __future__ import annotations

import csv
import io
import json
import math
import threading
from decimal import Decimal
from pathlib import Path

import duckdb

from warehouse.locking import db_lock_path, hold

# Applied as the connection opens; lock_configuration then freezes every setting, itself included. No
# allowed_directories / allowed_paths: the window reads no file but the warehouse (and its .wal, which
# DuckDB's storage opens itself, external access or not).
WINDOW_CONFIG = {
    "enable_external_access": False,        # the database file only: no other file, no network, no ATTACH
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


class QueryRejected(ValueError):
    """The query text is not one SQL statement (empty, only comments, or several)."""


class QueryTimeout(RuntimeError):
    """The query ran longer than its timeout and was interrupted."""


class QueryInterrupted(RuntimeError):
    """The user pressed Ctrl-C (SIGINT) while the query ran; it was interrupted."""


def open_window(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection that can read the warehouse and nothing else, and cannot be reconfigured."""
    db_path = Path(db_path)
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `qcity load` first")
    return duckdb.connect(str(db_path), read_only=True, config=dict(WINDOW_CONFIG))


def single_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but exactly one statement: DuckDB would run them all and return only the last result."""
    count = len(con.extract_statements(sql))
    if count == 0:
        raise QueryRejected("empty query: give one SQL statement")
    if count > 1:
        raise QueryRejected(f"{count} statements given; qcity sql runs one statement per call")


def run_query(db_path: str | Path, sql: str, lock_timeout: float, timeout: float) -> tuple[list[str], list[tuple]]:
    """(columns, rows) of one statement, interrupted after `timeout` seconds. Raises QueryRejected, QueryTimeout, QueryInterrupted, duckdb.Error,
    FileNotFoundError or WarehouseBusy (the lock, after lock_timeout seconds)."""
    if not sql.strip():
        raise QueryRejected("empty query: give one SQL statement")
    with hold(db_lock_path(db_path), lock_timeout, "read the warehouse"):
        con = open_window(db_path)
        try:
            single_statement(con, sql)
            return _run_bounded(con, sql, timeout)
        finally:
            con.close()


def _run_bounded(con: duckdb.DuckDBPyConnection, sql: str, timeout: float) -> tuple[list[str], list[tuple]]:
    """Run the query in a worker thread while this (main) thread waits: the wait ends at the timeout, or at
    Ctrl-C — Python delivers SIGINT to the main thread only, and DuckDB checks for it only between tasks, so
    a query running in the main thread would ignore Ctrl-C until it finished. Either way con.interrupt()
    stops the query. The wait is on an Event, not Thread.join: a join interrupted by KeyboardInterrupt
    marks a still-running thread as finished (CPython 3.11), and closing its busy connection then aborts."""
    outcome: dict = {}
    done = threading.Event()

    def work() -> None:
        try:
            rel = con.sql(sql)
            outcome["result"] = ([], []) if rel is None else (list(rel.columns), rel.fetchall())
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="qcity-sql-query", daemon=True).start()
    try:
        finished = done.wait(timeout)
    except KeyboardInterrupt:
        _interrupt_and_wait(con, done)
        raise QueryInterrupted("query interrupted (Ctrl-C); nothing was changed") from None
    if not finished:
        _interrupt_and_wait(con, done)
        if "result" not in outcome:
            raise QueryTimeout(f"query interrupted after the {timeout:g} s timeout (--timeout)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _interrupt_and_wait(con: duckdb.DuckDBPyConnection, done: threading.Event) -> None:
    """Interrupt the query and wait until the worker let go of the connection (a second Ctrl-C included):
    only then may it be closed."""
    con.interrupt()
    while True:
        try:
            done.wait()
            return
        except KeyboardInterrupt:
            con.interrupt()


def one_line(exc: BaseException) -> str:
    """DuckDB's message on one line: its parser context (`LINE 1: …` and the caret line) folded in."""
    lines = [line.strip() for line in str(exc).splitlines()]
    return " ".join(line for line in lines if line and set(line) != {"^"})


# The table format is for people: long text is cut to max_width terminal cells (a CJK character takes two)
# with an ellipsis, and numbers are rounded and grouped for reading. CSV and JSON are for programs and keep
# every value whole, at full precision.
GROUP_FROM = 10_000   # separators from five digits on: a year (2020) stays as written, 12,345 gets one
_NESTED = (list, tuple, dict)


def _json_default(value):
    # DECIMAL inside a LIST or STRUCT: a JSON number, not a string; dates, UUIDs, intervals: their text
    return float(value) if isinstance(value, Decimal) else str(value)


def _json_text(value) -> str:
    """A LIST, STRUCT or MAP value as JSON (not Python's repr), Chinese as written."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def display_number(value: int | float | Decimal) -> str:
    """A number as the table shows it: floats rounded (two decimals, three significant digits below 1),
    integers whole, separators from GROUP_FROM up."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        magnitude = abs(value)
        if magnitude >= 1e15 or (0 < magnitude < 1e-4):
            return f"{value:.4g}"           # digits past these are noise to a reader
        if value.is_integer():
            value = int(value)
        else:
            decimals = 2 if magnitude >= 1 else 2 - math.floor(math.log10(magnitude))
            text = f"{value:,.{decimals}f}" if magnitude >= GROUP_FROM else f"{value:.{decimals}f}"
            return text.rstrip("0").rstrip(".")
    return f"{value:,}" if abs(value) >= GROUP_FROM else str(value)


def _display(value) -> str:
    if value is None:
        return ""
    if _is_number(value):
        return display_number(value)
    text = _json_text(value) if isinstance(value, _NESTED) else str(value)
    # A raw sentence can hold line breaks and tabs; in a table row they would break the row apart.
    return " ".join(text.split()) if any(c in text for c in "\n\r\t") else text


def _cell(value) -> str:
    """A CSV field: the value whole (an integral float without its .0), nested values as JSON."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, _NESTED):
        return _json_text(value)
    return str(value)


def render(columns: list[str], rows: list[tuple], fmt: str, max_width: int = 0) -> str:
    """rows as JSON, CSV or an aligned table whose text cells are cut at max_width cells (0: never cut)."""
    if fmt == "json":
        return json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, default=str, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_cell(c) for c in r] for r in rows])
        return buf.getvalue()
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, header_style="bold")
    for i, c in enumerate(columns):
        values = [r[i] for r in rows if r[i] is not None]
        numeric = bool(values) and all(_is_number(v) for v in values)
        # Numbers are never cut: a cut number reads as another number.
        limit = None if numeric or not max_width else max_width
        table.add_column(Text(c), justify="right" if numeric else "left", overflow="ellipsis", no_wrap=True,
                         max_width=limit)
    for r in rows:
        # Text, not str: rich would read "[red]" or "[/]" in the data as markup and drop it.
        table.add_row(*[Text(_display(c)) for c in r])
    # As wide as the table needs: the columns are bounded by max_width, never squeezed to a terminal's width.
    console = Console(record=True, width=1_000_000, file=io.StringIO())
    console.print(table)
    return console.export_text() + f"({len(rows)} rows)\n"
