"""The figure record of ../shared/spec/figures.md, and the document an extractor reads."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

CATEGORIES = (
    "gdp", "revenue", "income", "certification_count", "standard_count", "brand_count",
    "award_count", "rate", "growth_rate", "count_other", "amount_other", "rank",
)
QUALIFIERS = ("exact", "at_least", "at_most", "more_than", "approx", "range", "decrease")
KINDS = ("actual", "target")
# Period values are either one of these or a year form: YYYY, YYYYH1, target:YYYY.
PERIOD_WORDS = (
    "cumulative", "annual", "unknown",
    "relative:this_year", "relative:last_year", "relative:this_year_H1",
    "target:unknown", "target:annual",
)
PERIOD_PATTERN = r"^(\d{4}|\d{4}H1|target:\d{4}|cumulative|annual|unknown|relative:this_year|relative:last_year|relative:this_year_H1|target:unknown|target:annual)$"

# The grain of each period form, and where its year is: the one reading of the period vocabulary, beside it.
PERIOD_GRAINS = {"cumulative": "cumulative", "annual": "annual", "target:annual": "annual", "unknown": "unknown",
                 "target:unknown": "unknown", "relative:this_year": "relative", "relative:last_year": "relative",
                 "relative:this_year_H1": "relative"}


def period_parts(period: str | None) -> tuple[int | None, str]:
    """(the calendar year the period names, its grain) of a spec period: 2020 → (2020, year); 2020H1 →
    (2020, half_year); target:2025 → (2025, target_year); a word → (None, its grain); anything else →
    (None, unknown). The warehouse stores both beside the period, so no later stage reads the string again."""
    if not period:
        return None, "unknown"
    if len(period) == 4 and period.isdigit():
        return int(period), "year"
    if len(period) == 6 and period[:4].isdigit() and period.endswith("H1"):
        return int(period[:4]), "half_year"
    if period.startswith("target:") and len(period) == 11 and period[7:].isdigit():
        return int(period[7:]), "target_year"
    return None, PERIOD_GRAINS.get(period, "unknown")


# Column order of the extraction contract (`qcity extract`): the spec's columns, then offsets.
SPEC_COLUMNS = (
    "doc", "region_zh", "period", "metric_zh", "category", "value", "value_max", "unit_zh",
    "value_canonical", "qualifier", "kind", "quote",
)
# Evidence behind a figure's period, region and kind (the three *_basis columns): where the decision was read.
#   clause / sentence / paragraph: a cue of the figure's own clause, sentence or paragraph;
#   section: the goals or review section (or plan horizon) the figure sits under;
#   title / opening / body / dateline / url: the document context, from the title, the body's opening
#     lines, the rest of the body (a region named there, the body sentence stating a headline's number),
#     the dateline, the source URL;
#   manifest: a correction in raw/manifest.csv (`region_zh`, `year`);
#   default: no evidence (period unknown, kind actual, no region).
BASES = ("clause", "sentence", "paragraph", "section", "title", "opening", "body", "dateline", "url", "manifest",
         "default")
BASIS_COLUMNS = ("period_basis", "region_basis", "kind_basis")
CSV_COLUMNS = SPEC_COLUMNS + ("char_start", "char_end") + BASIS_COLUMNS + ("region_code",)


@dataclass(frozen=True)
class Document:
    """One decoded raw document plus its optional manifest metadata."""

    name: str
    text: str
    url: str = ""
    title: str = ""
    published: str = ""  # ISO date YYYY-MM-DD, or empty
    region_override: str = ""  # manifest `region_zh`: the document's region, decided by an analyst
    year_override: int | None = None  # manifest `year`: the year the document reports on


@dataclass
class Figure:
    """One numeric mention. `quote == document.text[char_start:char_end]`."""

    doc: str
    region_zh: str
    period: str
    metric_zh: str
    category: str
    value: float
    value_max: float | None
    unit_zh: str
    value_canonical: float
    qualifier: str
    kind: str
    quote: str
    char_start: int
    char_end: int
    period_basis: str = "default"
    region_basis: str = "default"
    kind_basis: str = "default"
    region_code: str = ""  # the division code of region_zh (extraction.regions.division_code); "" when ambiguous
    extras: dict = field(default_factory=dict)

    def as_row(self) -> dict:
        row = {name: getattr(self, name) for name in _ROW_FIELDS}
        row.update(self.extras)
        return row


def figure_field_names() -> list[str]:
    return [f.name for f in fields(Figure) if f.name != "extras"]


_ROW_FIELDS = tuple(figure_field_names())  # as_row runs once per figure: dataclasses.fields() is slow


__all__ = [
    "CATEGORIES", "QUALIFIERS", "KINDS", "PERIOD_WORDS", "PERIOD_PATTERN",
    "SPEC_COLUMNS", "CSV_COLUMNS", "BASES", "BASIS_COLUMNS", "Document", "Figure", "figure_field_names", "asdict",
]
