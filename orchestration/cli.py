"""The `qcity` command line: load, extract, sql, check, export, report, plot."""
from __future__ import annotations

import atexit
import os
import signal
import sys
from pathlib import Path

import click

from orchestration.settings import db_path_from_env, raw_path_from_env


@click.group(help="qcity: Chinese regional quality statistics, from raw documents to a DuckDB warehouse.")
# The installed package's version (importlib.metadata), looked up only when --version is given.
@click.version_option(package_name="qcity", prog_name="qcity", message="%(prog)s %(version)s")
def main() -> None:
    pass


# The option every reading command shares; `load` creates the file, the others need it to exist.
DB_HELP = "DuckDB warehouse file to read (default $QCITY_DB or warehouse/qcity.duckdb)"
WAIT_HELP = "seconds to wait while a load writes"
# `qcity sql`'s widest text cell in the table format: a 24-character id or a short sentence fits whole.
SQL_MAX_WIDTH = 40


def missing_only_files(raw_path: str, names: tuple[str, ...]) -> list[str]:
    """The --only names that are not a document file of the raw folder (given relative to it)."""
    missing = []
    for name in names:
        path = Path(raw_path, name)
        parts = Path(name).parts
        inside = not Path(name).is_absolute() and ".." not in parts
        # The scan skips the manifest and hidden files: naming one would match no document either.
        skipped = Path(name).name == "manifest.csv" or any(p.startswith(".") for p in parts)
        if not (inside and not skipped and os.path.lexists(path) and not path.is_dir()):
            missing.append(name)
    return missing


# Exit statuses of `qcity load` (README, Operations): a script can tell them apart.
EXIT_LOADED = 0      # loaded; nothing set aside
EXIT_FAILED = 1      # the load failed: nothing of it was written
EXIT_SET_ASIDE = 3   # loaded, but something did not get in: quarantined figures, rejected files, manifest problems
EXIT_BUSY = 4        # another load, query or DuckDB program held the warehouse longer than --wait
# (2 is click's usage error; 130 / 143: stopped by SIGINT / SIGTERM, rolled back)


@main.command(help="Materialize the whole asset graph: raw/ → figures → DuckDB, then print a summary. "
                   "Exit 0 loaded, 1 failed, 3 loaded with figures quarantined or files rejected, 4 busy, "
                   "130/143 stopped by SIGINT/SIGTERM.")
@click.option("--raw", "raw_path", type=click.Path(file_okay=False), default=None, help="raw folder (default $QCITY_RAW or raw/)")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help="DuckDB file (default $QCITY_DB or warehouse/qcity.duckdb)")
@click.option("--wait", "wait_seconds", type=float, default=300.0, show_default=True,
              help="seconds to wait for each lock (another load, a query, another DuckDB program)")
@click.option("--only", "only_files", multiple=True, metavar="FILE",
              help="extract only this file, named relative to the raw folder (repeatable): retry one document")
@click.option("--verbose", "-v", is_flag=True, help="show Dagster's full event log (DEBUG), not just the stage lines")
def load(raw_path: str | None, db_path: str | None, wait_seconds: float, only_files: tuple[str, ...],
         verbose: bool) -> None:
    from orchestration.loading import LoadInterrupted, run_load
    from warehouse.locking import WarehouseBusy

    db_path = db_path or db_path_from_env()
    raw_path = raw_path or raw_path_from_env()
    if not Path(raw_path).is_dir():
        raise click.ClickException(f"raw folder {raw_path} does not exist")
    # Checked here, before Dagster starts: a name that matches no file would otherwise load nothing, silently.
    missing = missing_only_files(raw_path, only_files)
    if missing:
        raise click.BadParameter(f"not a document in the raw folder {raw_path}: {', '.join(missing)}",
                                 param_hint="'--only'")
    try:
        # Named as the scan names documents (./a.txt is a.txt), or the name would match none of them.
        only = [Path(name).as_posix() for name in only_files] or None
        outcome = run_load(db_path, raw_path, wait_seconds, "DEBUG" if verbose else "INFO", only,
                           process_ends_after=True)
    except WarehouseBusy as exc:
        click.echo(f"qcity load: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except LoadInterrupted as exc:
        name = signal.Signals(exc.signum).name
        click.echo(f"qcity load: stopped by {name} after the load committed; its checks or report did not run"
                   if exc.committed else f"qcity load: stopped by {name}; rolled back, nothing of this load was written",
                   err=True)
        sys.exit(exc.exit_status)
    run = outcome.last_run
    click.echo(f"qcity load → {db_path}")
    click.echo(f"  run {outcome.run_id}: {'succeeded' if outcome.success else 'FAILED'}")
    if run:
        click.echo(
            f"  documents: {run['documents_seen']} seen, {run['documents_new']} new, {run['documents_changed']} changed, "
            f"{run['documents_removed']} removed, {run['documents_rejected']} rejected"
        )
        click.echo(f"  figures: {run['figures_inserted']} inserted, {run['figures_retired']} retired, "
                   f"{run['figures_quarantined']} quarantined")
    click.echo(f"  warehouse: {outcome.active_documents} active documents, {outcome.active_figures} active figures")
    click.echo("  rows: " + ", ".join(f"{t} {n}" for t, n in outcome.table_rows.items()))
    if run.get("status") == "unchanged":
        click.echo("  checks: not run — nothing to load since the last load, whose check results stand")
    else:
        click.echo(f"  checks: {outcome.checks_passed} passed, {outcome.checks_failed} failed"
                   + (f" ({', '.join(outcome.failed_checks)})" if outcome.failed_checks else ""))
    for rule, file, quote, value, unit, canonical in outcome.quarantined:
        click.echo(f"  quarantined: {rule}: {file}: 「{quote}」 value {value:g} {unit or ''}"
                   + (f" (canonical {canonical:g})" if canonical is not None else ""))
    for file, reason in outcome.open_rejects:
        click.echo(f"  rejected: {file}: {reason}")
    for line, file, reason in outcome.manifest_problems:
        click.echo(f"  manifest line {line} ({file}): {reason}" + ("; row skipped" if line > 0 else ""))
    if not outcome.success:
        sys.exit(EXIT_FAILED)
    sys.exit(EXIT_SET_ASIDE if outcome.set_aside else EXIT_LOADED)


@main.command(help="Run only the parser over PATHS (files and/or folders); write the figure CSV "
                   "(stdout without --out).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), default=None,
              help="manifest CSV with file,url,title,published of the documents")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="figure CSV to write (default stdout)")
def extract(paths: tuple[str, ...], manifest: str | None, out: str | None) -> None:
    from extraction.cli_extract import extract_paths, write_csv

    rows, problems = extract_paths([Path(p) for p in paths], Path(manifest) if manifest else None)
    for problem in problems:
        click.echo(f"qcity extract: {problem}", err=True)
    if out:
        with open(out, "w", newline="", encoding="utf-8") as f:
            write_csv(rows, f)
        click.echo(f"wrote {len(rows)} figures to {out}", err=True)
    else:
        write_csv(rows, sys.stdout)


# ignore_unknown_options: a QUERY that starts with a SQL comment ("-- …") is the query, not an unknown option.
@main.command(help="Run one SQL statement QUERY in the read-only analyst window (no file access, no extensions, "
                   "no SET). The table format cuts long text at --max-width and rounds numbers for reading; "
                   "csv and json keep every value whole.",
              context_settings={"ignore_unknown_options": True})
@click.argument("query")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table for reading; csv or json (full precision, lists and structs as JSON) for programs")
@click.option("--max-width", "max_width", type=click.IntRange(min=0), default=SQL_MAX_WIDTH, show_default=True,
              help="table format: widest text cell, in terminal columns (a Chinese character takes two); "
                   "longer text ends in …; 0 never cuts")
@click.option("--wait", "wait_seconds", type=float, default=30.0, show_default=True, help=WAIT_HELP)
@click.option("--timeout", "timeout_seconds", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="seconds the query may run before it is interrupted")
def sql(query: str, db_path: str | None, fmt: str, max_width: int, wait_seconds: float,
        timeout_seconds: float) -> None:
    # Only duckdb, filelock and click: this command must not import Dagster or Great Expectations (fast start).
    import duckdb

    from warehouse.locking import WarehouseBusy
    from warehouse.query import QueryInterrupted, QueryRejected, QueryTimeout, one_line, render, run_query

    try:
        columns, rows = run_query(db_path or db_path_from_env(), query, wait_seconds, timeout_seconds)
    except (QueryInterrupted, KeyboardInterrupt) as exc:
        click.echo(f"qcity sql: {str(exc) or 'interrupted (Ctrl-C)'}", err=True)
        sys.exit(130)
    except (WarehouseBusy, FileNotFoundError, QueryRejected, QueryTimeout) as exc:
        raise click.ClickException(str(exc))
    except duckdb.PermissionException as exc:
        raise click.ClickException(f"query refused (the sql window reads the warehouse only): {one_line(exc)}")
    except duckdb.Error as exc:
        raise click.ClickException(f"query failed: {one_line(exc)}")
    click.echo(render(columns, rows, fmt, max_width), nl=False)


@main.command(help="Run the expectation suites against the warehouse and list the open quarantined figures and "
                   "rejected documents; exit 1 when an ERROR expectation fails or an ERROR-rule quarantine is open.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False), default=None,
              help="Data Docs folder (default $QCITY_GX_DOCS or out/gx_docs)")
@click.option("--wait", "wait_seconds", type=float, default=30.0, show_default=True, help=WAIT_HELP)
def check(db_path: str | None, docs_dir: str | None, wait_seconds: float) -> None:
    from expectations.docs import DocsRecorder, docs_dir_from_env
    from expectations.quarantine import rule_severity
    from expectations.warehouse_checks import failed_errors, report_lines, run_warehouse_suites
    from warehouse import io
    from warehouse.locking import WarehouseBusy, db_lock_path, hold
    from warehouse.reporting.quality import coverage_lines, metric_coverage

    db_path = db_path or db_path_from_env()
    try:
        with hold(db_lock_path(db_path), wait_seconds, "check the warehouse"):
            con = io.connect(db_path, read_only=True)
            try:
                problem = io.completed_load_problem(con, db_path)
                quarantined = [] if problem else con.execute(io.OPEN_QUARANTINE_SQL).fetchall()
                rejects = [] if problem else con.execute(io.OPEN_REJECTS_SQL).fetchall()
            finally:
                con.close()
    except (WarehouseBusy, FileNotFoundError) as exc:
        raise click.ClickException(str(exc))
    if problem:
        raise click.ClickException(problem)
    recorder = DocsRecorder()
    try:
        outcomes = run_warehouse_suites(db_path, recorder=recorder)
    except (WarehouseBusy, FileNotFoundError) as exc:
        raise click.ClickException(str(exc))
    for line in report_lines(outcomes):
        click.echo(line)
    for rule, file, quote, value, unit in quarantined:
        click.echo(f"QUARANTINED [{rule_severity(rule)}] {rule}: {file}: 「{quote}」 value {value} {unit or ''}")
    for file, reason in rejects:
        click.echo(f"REJECTED {file}: {reason}")
    for line in coverage_lines(metric_coverage(db_path)):
        click.echo(line)
    click.echo(f"Data Docs: {recorder.build(docs_dir or docs_dir_from_env(db_path))}")
    failed = failed_errors(outcomes)
    open_errors = sorted({rule for rule, *_ in quarantined if rule_severity(rule) == "ERROR"})
    if failed:
        click.echo(f"{len(failed)} ERROR expectation(s) failed: {', '.join(failed)}", err=True)
    if open_errors:
        click.echo(f"{len(quarantined)} quarantined figure(s) open under ERROR rules: {', '.join(open_errors)}", err=True)
    if failed or open_errors:
        sys.exit(1)


@main.command(help="Write every warehouse table and view to OUT_DIR (Parquet, partitioned by year where it has "
                   "one; every column in its place and type, JSON as text).")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True,
              help="file format of the export")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
@click.option("--wait", "wait_seconds", type=float, default=30.0, show_default=True, help=WAIT_HELP)
def export(out_dir: str, fmt: str, db_path: str | None, wait_seconds: float) -> None:
    from warehouse.export import export_warehouse
    from warehouse.locking import WarehouseBusy

    try:
        exported = export_warehouse(db_path or db_path_from_env(), out_dir, fmt, wait_seconds)
    except (WarehouseBusy, FileNotFoundError) as exc:
        raise click.ClickException(str(exc))
    for e in exported:
        click.echo(f"{e.kind:5} {e.name}: {e.rows} rows → {e.path}{' (by year)' if e.partitioned else ''}")


@main.command(help="Write the offline HTML report (charts, targets, latest figures, data quality) to DIR/index.html.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="report folder (default $QCITY_REPORT_DIR, else beside the warehouse: out/report for the default one, <db stem>_report for another)")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
@click.option("--no-checks", is_flag=True, help="skip running the expectation suites for the data-quality section")
@click.option("--wait", "wait_seconds", type=float, default=30.0, show_default=True, help=WAIT_HELP)
def report(out_dir: str | None, db_path: str | None, no_checks: bool, wait_seconds: float) -> None:
    from warehouse.locking import WarehouseBusy
    from warehouse.reporting.data import ReportSourceMissing
    from warehouse.reporting.html import build_report, report_dir_from_env

    try:
        outcome = build_report(db_path or db_path_from_env(), out_dir or report_dir_from_env(db_path or db_path_from_env()),
                               with_checks=not no_checks, lock_timeout=wait_seconds)
    except (WarehouseBusy, FileNotFoundError, ReportSourceMissing) as exc:
        raise click.ClickException(str(exc))
    click.echo(f"wrote {outcome.path}: {outcome.regions} regions, {outcome.charts} charts, "
               f"{outcome.checks_failed} failed checks")
    if outcome.checks_error:
        click.echo(f"qcity report: the checks could not run: {outcome.checks_error}", err=True)


@main.command(help="Draw one region × metric series (actual values and targets) as a PNG.")
@click.option("--region", "region_zh", required=True, help="region name as stored, e.g. 长沙市")
@click.option("--metric", "metric_id", required=True, help="metric id, e.g. gdp.total")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), required=True, help="PNG file to write")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
@click.option("--wait", "wait_seconds", type=float, default=30.0, show_default=True, help=WAIT_HELP)
def plot(region_zh: str, metric_id: str, out_file: str, db_path: str | None, wait_seconds: float) -> None:
    from warehouse.locking import WarehouseBusy
    from warehouse.reporting.charts import chart_spec
    from warehouse.reporting.data import ReportSourceMissing, read_chart_frames
    from warehouse.reporting.png import NoCJKFont, write_png

    try:
        series, targets = read_chart_frames(db_path or db_path_from_env(), region_zh, metric_id, wait_seconds)
    except (WarehouseBusy, FileNotFoundError, ReportSourceMissing) as exc:
        raise click.ClickException(str(exc))
    spec = chart_spec(region_zh, metric_id, series, targets)
    if spec is None:
        raise click.ClickException(f"no yearly values or dated targets for {region_zh} × {metric_id} "
                                   "(see: qcity sql \"SELECT DISTINCT region_zh, metric_id FROM metric_series\")")
    try:
        path = write_png(spec, out_file)
    except NoCJKFont as exc:
        raise click.ClickException(str(exc))
    click.echo(f"wrote {path}: {len(spec.years)} years, {len(spec.targets)} targets")


def run() -> None:
    """The `qcity` script: a command, its exit handlers, then the process ends without the interpreter's
    shutdown — which would collect every object still alive (0.4 s after the imports alone, 0.9 s after a
    load) and has nothing left to finalise: the commands close their connections and files themselves.
    An error other than an exit status propagates and ends the process the ordinary way."""
    try:
        main()
        status = 0
    except SystemExit as exc:  # click ends every command so; sys.exit("text") prints the text, status 1
        status = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    atexit._run_exitfuncs()  # what the ordinary exit runs first (logging's flush, Dagster's clean-ups)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
