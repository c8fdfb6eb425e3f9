"""Values for people: a canonical unit's label and the scale (元 → 亿元) that keeps numbers short."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

DISPLAY_UNITS_YAML = Path(__file__).with_name("display_units.yaml")


@dataclass(frozen=True)
class Scale:
    divisor: float
    label: str


@lru_cache(maxsize=1)
def _units() -> dict:
    return yaml.safe_load(DISPLAY_UNITS_YAML.read_text(encoding="utf-8"))


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
