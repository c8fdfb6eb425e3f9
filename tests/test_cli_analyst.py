"""The CLI as people use it, through the real `qcity` subprocess on a real warehouse: --version, help on every
option, `qcity sql`'s table (cut wide text, rounded and grouped numbers) beside CSV and JSON (full precision,
nested values as JSON), empty queries and unknown --only files refused with a message."""
from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import unicodedata

import click
import pytest

from orchestration.cli import SQL_MAX_WIDTH, main, missing_only_files
from tests.analyst_warehouse import analyst_warehouse, qcity  # noqa: F401  (the session fixture)


def test_version_is_the_installed_package_version():
    run = qcity("--version")
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"qcity {importlib.metadata.version('qcity')}\n"


# ---- help ------------------------------------------------------------------------------------------------
COMMANDS = sorted(main.commands)


def test_the_commands_are_all_walked():
    assert {"load", "extract", "sql", "check", "export", "report", "plot"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_and_argument_of_every_command_has_help(name):
    command = main.commands[name]
    run = qcity(name, "--help")
    assert run.returncode == 0, run.stderr
    assert (command.help or "").strip(), f"{name} has no help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"qcity {name} {param.opts[0]} has no help"
            assert param.opts[0] in run.stdout
        else:  # click arguments take no help=: the command's help names them
            assert param.human_readable_name in command.help, f"qcity {name}'s help does not explain " \
                                                              f"{param.human_readable_name}"


# ---- qcity sql: formats ----------------------------------------------------------------------------------
def sql(db, query: str, *options: str):
    return qcity("sql", query, "--db", str(db), *options, timeout=60)


def table_cells(stdout: str) -> list[list[str]]:
    """The body rows of a rich table (│ … │ lines), each cell stripped."""
    return [[cell.strip() for cell in line.strip("│").split("│")]
            for line in stdout.splitlines() if line.startswith("│")]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# (SQL expression, the table's cell, the CSV field, the JSON value)
NUMBERS = [
    ("1100341000000.0::DOUBLE", "1,100,341,000,000", "1100341000000", 1100341000000.0),
    ("3.14159265::DOUBLE", "3.14", "3.14159265", 3.14159265),
    ("8.8::DOUBLE", "8.8", "8.8", 8.8),
    ("-7.1::DOUBLE", "-7.1", "-7.1", -7.1),
    ("0.000123456::DOUBLE", "0.000123", "0.000123456", 0.000123456),
    ("12345.678::DOUBLE", "12,345.68", "12345.678", 12345.678),
    ("2020", "2020", "2020", 2020),                  # a year stays as written
    ("123456789::BIGINT", "123,456,789", "123456789", 123456789),
    ("0::DOUBLE", "0", "0", 0.0),
]


@pytest.mark.parametrize("expression, table, csv_field, json_value", NUMBERS)
def test_numbers_are_rounded_and_grouped_in_the_table_and_whole_in_csv_and_json(analyst_warehouse, expression,
                                                                                table, csv_field, json_value):
    query = f"SELECT {expression} AS v"
    run = sql(analyst_warehouse.db, query)
    assert run.returncode == 0, run.stderr
    assert table_cells(run.stdout) == [[table]]
    run = sql(analyst_warehouse.db, query, "--format", "csv")
    assert list(csv.reader(io.StringIO(run.stdout))) == [["v"], [csv_field]]
    run = sql(analyst_warehouse.db, query, "--format", "json")
    assert json.loads(run.stdout) == [{"v": json_value}]


def test_a_warehouse_number_reads_with_separators(analyst_warehouse):
    run = sql(analyst_warehouse.db, "SELECT value_canonical FROM fact_figure WHERE value_canonical > 1e9 "
                                    "ORDER BY value_canonical DESC LIMIT 1")
    assert run.returncode == 0, run.stderr
    [[cell]] = table_cells(run.stdout)
    whole = sql(analyst_warehouse.db, "SELECT max(value_canonical) AS v FROM fact_figure", "--format", "json")
    assert cell.replace(",", "") == f"{json.loads(whole.stdout)[0]['v']:.0f}" and cell.count(",") >= 3


LONG = "长沙市" * 30 + "质量强市"           # 94 characters, 188 terminal columns


@pytest.mark.parametrize("options, width", [
    ((), SQL_MAX_WIDTH),
    (("--max-width", "12"), 12),
    (("--max-width", "80"), 80),
])
def test_wide_text_is_cut_with_an_ellipsis_at_max_width(analyst_warehouse, options, width):
    run = sql(analyst_warehouse.db, f"SELECT '{LONG}' AS sentence, 'short' AS s, 1 AS n", *options)
    assert run.returncode == 0, run.stderr
    [[sentence, short, n]] = table_cells(run.stdout)
    assert sentence.endswith("…") and LONG.startswith(sentence.rstrip("…").rstrip())
    assert width - 2 <= display_width(sentence) <= width
    assert (short, n) == ("short", "1")


def test_max_width_0_never_cuts_and_csv_keeps_the_whole_text(analyst_warehouse):
    query = f"SELECT '{LONG}' AS sentence"
    run = sql(analyst_warehouse.db, query, "--max-width", "0")
    assert table_cells(run.stdout) == [[LONG]]
    run = sql(analyst_warehouse.db, query, "--format", "csv")
    assert list(csv.reader(io.StringIO(run.stdout))) == [["sentence"], [LONG]]


def test_warehouse_ids_are_cut_in_the_table(analyst_warehouse):
    run = sql(analyst_warehouse.db, "SELECT doc_id FROM dim_document ORDER BY doc_id LIMIT 1")
    whole = sql(analyst_warehouse.db, "SELECT doc_id FROM dim_document ORDER BY doc_id LIMIT 1", "--format", "csv")
    doc_id = whole.stdout.split()[1]
    [[cell]] = table_cells(run.stdout)
    assert len(doc_id) > SQL_MAX_WIDTH and cell.endswith("…") and doc_id.startswith(cell[:-1].rstrip())


@pytest.mark.parametrize("expression, cell", [
    ("'first line' || chr(10) || 'second line'", "first line second line"),   # a row stays on one line
    ("'[bold]as written[/bold] [red]'", "[bold]as written[/bold] [red]"),     # text, never markup
])
def test_a_table_cell_shows_the_text_as_written(analyst_warehouse, expression, cell):
    run = sql(analyst_warehouse.db, f"SELECT {expression} AS t, 2 AS n")
    assert table_cells(run.stdout) == [[cell, "2"]]


@pytest.mark.parametrize("expression, value", [
    ("['长沙市', '株洲市']", ["长沙市", "株洲市"]),
    ("{'region': '长沙市', 'values': [1.5, NULL]}", {"region": "长沙市", "values": [1.5, None]}),
    ("[{'a': 1}, {'a': 2}]", [{"a": 1}, {"a": 2}]),
    ("MAP {'k': 3}", {"k": 3}),
])
def test_csv_writes_lists_and_structs_as_json(analyst_warehouse, expression, value):
    run = sql(analyst_warehouse.db, f"SELECT {expression} AS v", "--format", "csv")
    assert run.returncode == 0, run.stderr
    [header, [field]] = list(csv.reader(io.StringIO(run.stdout)))
    assert json.loads(field) == value


def test_csv_of_a_warehouse_list_is_json(analyst_warehouse):
    query = "SELECT list(file ORDER BY file) AS files FROM dim_document WHERE retired_at IS NULL"
    run = sql(analyst_warehouse.db, query, "--format", "csv")
    files = json.loads(list(csv.reader(io.StringIO(run.stdout)))[1][0])
    assert "zz_rate_120.txt" in files and files == sorted(files)
    assert table_cells(sql(analyst_warehouse.db, query, "--max-width", "0").stdout) == \
        [[json.dumps(files, ensure_ascii=False)]]


# ---- wrong arguments ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "   ", "\n\t", "-- only a comment", "/* a comment */", "-- one\n-- two\n", ";"])
def test_an_empty_query_is_an_error_not_zero_rows(analyst_warehouse, query):
    run = sql(analyst_warehouse.db, query)
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert run.stdout == "" and "(0 rows)" not in run.stdout
    assert "empty query: give one SQL statement" in run.stderr


def test_a_query_may_start_with_a_sql_comment(analyst_warehouse):
    run = sql(analyst_warehouse.db, "-- how many documents\nSELECT count(*) AS n FROM dim_document", "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)[0]["n"] >= 15


@pytest.mark.parametrize("only, named", [
    (["nosuch.txt"], "nosuch.txt"),
    (["s01.txt", "nosuch.txt"], "nosuch.txt"),
    (["manifest.csv"], "manifest.csv"),
    (["../raw/s01.txt"], "../raw/s01.txt"),
])
def test_load_only_a_file_not_in_raw_is_a_usage_error(analyst_warehouse, tmp_path, only, named):
    db = tmp_path / "never.duckdb"
    run = qcity("load", "--raw", str(analyst_warehouse.raw), "--db", str(db),
                *[arg for name in only for arg in ("--only", name)])
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Invalid value for '--only': not a document in the raw folder" in run.stderr
    assert named in run.stderr and "s01.txt," not in run.stderr
    assert not db.exists(), "nothing ran"


def test_only_accepts_the_names_of_raw_files_and_subfolders(tmp_path):
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.txt", "manifest.csv", ".hidden.txt"):
        (raw / name).write_text("x", encoding="utf-8")
    assert missing_only_files(str(raw), ("a.txt", "sub/b.txt", "./a.txt")) == []
    wrong = ("b.txt", "sub", "manifest.csv", ".hidden.txt", str(raw / "a.txt"), "sub/../a.txt")
    assert missing_only_files(str(raw), ("a.txt", *wrong)) == list(wrong)


def test_only_loads_the_named_document_however_it_is_spelled(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("海门市2020年地区生产总值1200亿元。", encoding="utf-8")
    (raw / "b.txt").write_text("如皋市2020年地区生产总值1300亿元。", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    run = qcity("load", "--raw", str(raw), "--db", str(db), "--only", "./a.txt")
    assert run.returncode == 0, run.stdout + run.stderr
    listed = qcity("sql", "SELECT file FROM dim_document", "--db", str(db), "--format", "csv")
    assert listed.stdout.split() == ["file", "a.txt"]
