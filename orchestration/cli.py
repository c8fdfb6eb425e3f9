"""The `qcity` command line: load, extract, sql, check."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from orchestration.resources import db_path_from_env, raw_path_from_env


@click.group(help="qcity: Chinese regional quality statistics, from raw documents to a DuckDB warehouse.")
def main() -> None:
    pass


@main.command(help="Materialize the whole asset graph: raw/ → figures → DuckDB, then print a summary.")
@click.option("--raw", "raw_path", type=click.Path(file_okay=False), default=None, help="raw folder (default $QCITY_RAW or raw/)")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help="DuckDB file (default $QCITY_DB or warehouse/qcity.duckdb)")
@click.option("--wait", "wait_seconds", type=float, default=300.0, show_default=True, help="seconds to wait for another running load")
@click.option("--strict", is_flag=True, help="exit 1 when any document is rejected")
@click.option("--verbose", "-v", is_flag=True, help="show Dagster's step log (INFO)")
def load(raw_path: str | None, db_path: str | None, wait_seconds: float, strict: bool, verbose: bool) -> None:
    from orchestration.loading import run_load
    from warehouse.locking import WarehouseBusy

    db_path = db_path or db_path_from_env()
    raw_path = raw_path or raw_path_from_env()
    if not Path(raw_path).is_dir():
        raise click.ClickException(f"raw folder {raw_path} does not exist")
    try:
        outcome = run_load(db_path, raw_path, wait_seconds, "INFO" if verbose else "WARNING")
    except WarehouseBusy as exc:
        raise click.ClickException(str(exc))
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
    click.echo(f"  checks: {outcome.checks_passed} passed, {outcome.checks_failed} failed"
               + (f" ({', '.join(outcome.failed_checks)})" if outcome.failed_checks else ""))
    for file, reason in outcome.open_rejects:
        click.echo(f"  rejected: {file}: {reason}")
    if not outcome.success:
        sys.exit(1)
    if strict and outcome.open_rejects:
        sys.exit(1)


@main.command(help="Run only the parser over files and/or folders; write the figure CSV (stdout without --out).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), default=None, help="CSV with file,url,title,published")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="output CSV file")
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


@main.command(help="Run a SQL query on a read-only connection.")
@click.argument("query")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--wait", "wait_seconds", type=float, default=30.0, show_default=True, help="seconds to wait while a load writes")
def sql(query: str, db_path: str | None, fmt: str, wait_seconds: float) -> None:
    import duckdb

    from warehouse.locking import WarehouseBusy
    from warehouse.query import render, run_query

    try:
        columns, rows = run_query(db_path or db_path_from_env(), query, wait_seconds)
    except (WarehouseBusy, FileNotFoundError) as exc:
        raise click.ClickException(str(exc))
    except duckdb.Error as exc:
        raise click.ClickException(f"query failed: {exc}")
    click.echo(render(columns, rows, fmt), nl=False)


@main.command(help="Run the expectation suites against the warehouse; exit 1 when an ERROR expectation fails.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None)
def check(db_path: str | None) -> None:
    from expectations.warehouse_checks import run_warehouse_suites
    from warehouse.locking import WarehouseBusy

    try:
        results = run_warehouse_suites(db_path or db_path_from_env())
    except (WarehouseBusy, FileNotFoundError) as exc:
        raise click.ClickException(str(exc))
    blocking = 0
    for suite, rule_results in results.items():
        for r in rule_results:
            status = "PASS" if r.success else "FAIL"
            click.echo(f"{status}  [{r.severity}] {suite}.{r.name}: {r.unexpected_count} failing of {r.element_count}")
            if not r.success and r.severity == "ERROR":
                blocking += 1
    if blocking:
        click.echo(f"{blocking} ERROR expectation(s) failed", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
