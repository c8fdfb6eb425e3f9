"""Generic runner for the table-driven spec files in specs/*.yaml.

Each file has `positive` cases ({text, [title], [published], [url], [region_zh, year: manifest corrections],
expect: [{field: value, ...}]}) — every
expected figure must be found, in order, with the given fields — and `negative` cases (texts) that
must yield no figure at all. `quote_contains` / `metric_contains` check substrings.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from extraction.engine import extract_figures
from extraction.models import Document

SPECS = sorted((Path(__file__).parent / "specs").glob("*.yaml"))


def _cases(kind: str):
    for path in SPECS:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, case in enumerate(data.get(kind) or []):
            yield pytest.param(case, id=f"{path.stem}:{kind}:{i}")


def _doc(case) -> Document:
    if isinstance(case, str):
        return Document("spec.txt", case)
    return Document("spec.txt", case["text"], case.get("url", ""), case.get("title", ""), str(case.get("published", "")),
                    case.get("region_zh", ""), case.get("year"))


def _agrees(fig, exp: dict) -> bool:
    for key, want in exp.items():
        if key == "quote_contains":
            if want not in fig.quote:
                return False
        elif key == "metric_contains":
            if want not in fig.metric_zh:
                return False
        else:
            got = getattr(fig, key)
            if isinstance(want, (int, float)) and not isinstance(want, bool):
                if got is None or not math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=1e-9):
                    return False
            elif str(got) != str(want):
                return False
    return True


@pytest.mark.parametrize("case", list(_cases("positive")))
def test_positive(case):
    doc = _doc(case)
    figures = extract_figures(doc)
    for fig in figures:
        assert doc.text[fig.char_start:fig.char_end] == fig.quote
    remaining = list(figures)
    for exp in case["expect"]:
        match = next((f for f in remaining if _agrees(f, exp)), None)
        assert match is not None, f"no figure like {exp} in {[(f.value, f.unit_zh, f.category, f.qualifier, f.period, f.kind) for f in figures]}"
        remaining.remove(match)
    assert len(figures) == len(case["expect"]), [(f.value, f.quote) for f in figures]


@pytest.mark.parametrize("case", list(_cases("negative")))
def test_negative(case):
    figures = extract_figures(_doc(case))
    assert figures == [], [(f.value, f.quote) for f in figures]
