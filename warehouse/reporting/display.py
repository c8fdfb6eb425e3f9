"""Values for people: a canonical unit's label and the scale (元 → 亿元) that keeps numbers short."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from extraction.lexicon_loader import read_yaml

DISPLAY_UNITS_YAML = Path(__file__).with_name("display_units.yaml")


@dataclass(frozen=True)
class Scale:
    divisor: float
    label: str


@lru_cache(maxsize=1)
def _units() -> dict:
    return read_yaml(DISPLAY_UNITS_YAML)


def unit_label(unit: str | None) -> str:
    if not unit:
        return ""
    entry = _units().get(unit)
    return entry["label"] if entry else unit


def scale_for(unit: str | None, values: Iterable[float | None]) -> Scale:
    """The one scale for a whole series: the largest whose threshold the biggest magnitude reaches."""
    magnitudes = [abs(v) for v in values if v is not None and not math.isnan(v)]
    biggest = max(magnitudes, default=0.0)
    for step in (_units().get(unit or "") or {}).get("scales", []):
        if biggest >= step["at_least"]:
            return Scale(float(step["divisor"]), step["label"])
    return Scale(1.0, unit_label(unit))


def format_number(x: float | None) -> str:
    """At most two decimals, no trailing zeros, thousands separated: 1234.5 → '1,234.5'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: float | None, unit: str | None) -> str:
    """'1,200 亿元', '7.5%', '25 个'."""
    if value is None:
        return "–"
    scale = scale_for(unit, [value])
    number = format_number(value / scale.divisor)
    return f"{number}{scale.label}" if scale.label == "%" else f"{number} {scale.label}".rstrip()


DISPLAY_LEXICON_YAML = Path(__file__).with_name("display_lexicon.yaml")


@lru_cache(maxsize=1)
def lexicon() -> dict:
    """display_lexicon.yaml: qualifier signs, period and level wording, target colours."""
    return read_yaml(DISPLAY_LEXICON_YAML)


def qualifier_sign(qualifier: str | None) -> str:
    return lexicon()["qualifiers"].get(qualifier or "", "")


def format_stated(value: float | None, value_max: float | None, unit_zh: str | None, qualifier: str | None) -> str:
    """A figure as its document stated it, in the document's unit: '65项', '> 80%', '1–60万元', '下降 7.1%'."""
    if value is None:
        return "–"
    unit = unit_zh or ""
    text = f"{format_number(value)}{unit}"
    if value_max is not None:
        text = f"{format_number(value)}–{format_number(value_max)}{unit}"
        qualifier = "" if qualifier == "range" else qualifier
    sign = qualifier_sign(qualifier)
    return f"{sign} {text}" if sign else text


def period_label(grain: str | None, period: str | None, year: int | None) -> str:
    """'2020年', '2018年上半年', '累计', '本年上半年', '未注明时期'."""
    words = lexicon()
    if period in words["periods"]:
        return words["periods"][period]
    template = words["grains"].get(grain or "", period or "")
    half = next((v for k, v in words["halves"].items() if period and period.endswith(k)), "")
    return template.format(year=year if year is not None else "", half=half)


def level_label(level: str | None) -> str:
    return lexicon()["levels"].get(level or "", "")


def format_timestamp(value) -> str:
    """A warehouse timestamp with its UTC offset and without microseconds: '2026-12-01 12:49:19+00:00'.

    The loads write naive local times (datetime.now()); a naive value is read as this machine's local time.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not hasattr(value, "hour"):              # a DATE
        return value.isoformat()
    return value.astimezone().replace(microsecond=0).isoformat(sep=" ")


def document_unit_scale(unit: str | None, values: Iterable[float | None], stated: Iterable[tuple]) -> Scale:
    """The scale of a series, in the documents' own unit when they all state it one way.

    stated: (value as stated, canonical value, unit_zh) of each figure. When every figure has one unit_zh
    and its stated value is its canonical value (项, 件, 家, %, 元 — no conversion), the series shows in that
    unit (「12项」 stays 12 项, not 12 个); otherwise in the canonical unit's scale (亿元 from 万元 and 亿元).
    """
    stated = list(stated)
    units = {u for _, _, u in stated}
    if stated and len(units) == 1 and None not in units and all(
            s is not None and c is not None and math.isclose(s, abs(c)) for s, c, _ in stated):
        return Scale(1.0, units.pop())
    return scale_for(unit, values)
