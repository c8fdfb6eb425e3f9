"""Every `qcity sql` example of the README runs, through the real CLI, on a warehouse of the embedded raw/
and answers with rows: the documentation's queries cannot drift from the schema."""
from __future__ import annotations

import json
import re

import pytest

from tests.analyst_warehouse import analyst_warehouse, qcity  # noqa: F401  (the session fixture)
from tests.conftest import ROOT

# .venv/bin/qcity sql "…" inside the README's sh blocks; a query may span lines
_EXAMPLE = re.compile(r'\.venv/bin/qcity sql "((?:[^"\\]|\\.)+)"', re.DOTALL)


def readme_queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [" ".join(q.split()) for block in blocks for q in _EXAMPLE.findall(block)]


def test_the_readme_has_a_query_for_each_kind_of_question():
    queries = readme_queries()
    assert len(queries) >= 8
    for view in ("metric_series", "metric_series_source", "target_progress", "dim_region"):
        assert any(view in q for q in queries), view


@pytest.mark.parametrize("query", readme_queries())
def test_a_readme_query_answers_with_rows(query, analyst_warehouse):  # noqa: F811
    run = qcity("sql", query, "--db", str(analyst_warehouse.db), "--format", "json", timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout), f"no rows: {query}"


def test_every_table_and_view_is_documented_and_names_its_files(analyst_warehouse, read_db):  # noqa: F811
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    relations = read_db(analyst_warehouse.db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
    for (name,) in relations:
        assert f"`{name}`" in readme, f"{name} is not in the README"
        columns = {c for (c, *_) in read_db(analyst_warehouse.db, f"DESCRIBE {name}")}
        if columns & {"doc_id", "doc_ids"}:
            assert columns & {"file", "files"}, f"{name} has a doc_id but no file"
