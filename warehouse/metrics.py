"""The metric catalogue (metric_catalogue.yaml): many spellings of a metric → one metric_id."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from extraction.normalize_script import to_simplified

_DATA = Path(__file__).with_name("metric_catalogue.yaml")
_PINYIN = re.compile(r"\([a-zA-Z\u00C0-\u024F]+\)")
_SPACE = re.compile(r"\s+")
GROWTH_SUFFIX = ".growth"


@dataclass(frozen=True)
class Metric:
    metric_id: str
    category: str
    name_zh: str
    unit_canonical: str
    description: str
    aliases: tuple[str, ...]


def normalise_phrase(text: str | None) -> str:
    text = _PINYIN.sub("", text or "")
    text = _SPACE.sub("", text).replace("（", "(").replace("）", ")")
    return to_simplified(text).upper()


@lru_cache(maxsize=1)
def catalogue() -> tuple[Metric, ...]:
    data = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    return tuple(
        Metric(m["id"], m["category"], m["name_zh"], m["unit"], m.get("description", ""),
               tuple(normalise_phrase(a) for a in m["aliases"]))
        for m in data["metrics"]
    )


@lru_cache(maxsize=1)
def _aliases_longest_first() -> tuple[tuple[str, Metric], ...]:
    pairs = [(alias, m) for m in catalogue() for alias in m.aliases]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@lru_cache(maxsize=65536)
def metric_id_for(metric_zh: str | None, category: str) -> str | None:
    """The catalogue id of a figure, or None when its phrase is not catalogued."""
    phrase = normalise_phrase(metric_zh)
    if not phrase:
        return None
    for alias, metric in _aliases_longest_first():
        if phrase == alias or phrase.endswith(alias):
            if category == metric.category:
                return metric.metric_id
            if category == "growth_rate" and metric.unit_canonical == "yuan":
                return metric.metric_id + GROWTH_SUFFIX
            return None
    return None


def catalogue_rows() -> list[dict]:
    """Rows of dim_metric, including the derived growth metrics of money amounts."""
    rows = []
    for m in catalogue():
        rows.append({"metric_id": m.metric_id, "category": m.category, "name_zh": m.name_zh,
                     "unit_canonical": m.unit_canonical, "description": m.description})
        if m.unit_canonical == "yuan":
            rows.append({"metric_id": m.metric_id + GROWTH_SUFFIX, "category": "growth_rate",
                         "name_zh": m.name_zh + "增长率", "unit_canonical": "percent",
                         "description": f"Growth rate of {m.metric_id}."})
    return rows
