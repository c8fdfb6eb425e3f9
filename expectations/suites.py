"""The expectation suites, as code. Each rule has a stable name (used in checks, alerts and quarantine).

Rules read the frames built by expectations/frames.py: the table's own columns plus a few derived ones
(`text_at_offsets`, `dim_region_key`, …) so that every rule stays a plain GX expectation.
"""
from __future__ import annotations

from extraction.models import BASES, BASIS_COLUMNS, CATEGORIES, KINDS, PERIOD_PATTERN, QUALIFIERS
from expectations.runner import ERROR, WARN, Rule

# Plausible magnitude of a region's yearly GDP in yuan: a small county (1e8) up to all of China (3e14).
GDP_YEARLY_MIN_YUAN = 1e8
GDP_YEARLY_MAX_YUAN = 3e14
# Growth rates in percent: a fall can't exceed −100 %; above +1000 % is a misread number.
GROWTH_MIN, GROWTH_MAX = -100, 1000
# Relative difference tolerated between value_canonical and value × multiplier (float noise only).
CANONICAL_TOLERANCE = 1e-9
# Distance from the nearest integer tolerated for a count (1.42万 × 1e4 is 14199.999999999998).
COUNT_INTEGER_TOLERANCE = 1e-6
# Share of metric_series rows whose sources disagree above which the analysts get a WARN.
CONFLICT_SHARE_MAX = 0.2

# The largest finite double: a value outside ±this is ±inf (a number beyond a double, or an overflowing multiplier).
FINITE_MAX = 1.7976931348623157e308

COUNT_CATEGORIES = ("certification_count", "standard_count", "brand_count", "award_count", "count_other")


def _between(name, severity, column, lo, hi, condition, description) -> Rule:
    kwargs = {"column": column, "min_value": lo, "max_value": hi}
    if condition:
        kwargs.update(row_condition=condition, condition_parser="pandas")
    return Rule(name, severity, "ExpectColumnValuesToBeBetween", kwargs, description)


def _not_null(name, severity, column, description, condition=None) -> Rule:
    kwargs = {"column": column}
    if condition:
        kwargs.update(row_condition=condition, condition_parser="pandas")
    return Rule(name, severity, "ExpectColumnValuesToNotBeNull", kwargs, description)


def _unique(name, columns, description) -> Rule:
    if len(columns) == 1:
        return Rule(name, ERROR, "ExpectColumnValuesToBeUnique", {"column": columns[0]}, description)
    return Rule(name, ERROR, "ExpectCompoundColumnsToBeUnique", {"column_list": list(columns)}, description)


# ---- figures: row-level rules. In figures_clean a failing row is quarantined; on fact_figure they guard the table.
RATE_PERCENT_WITHIN_0_100 = "rate_percent_within_0_100"
GROWTH_RATE_WITHIN_BOUNDS = "growth_rate_within_minus100_1000"
VALUE_CANONICAL_NON_NEGATIVE = "value_canonical_non_negative"
VALUE_MAX_NOT_BELOW_VALUE = "value_max_not_below_value"
CATEGORY_IN_VOCABULARY = "category_in_vocabulary"
QUALIFIER_IN_VOCABULARY = "qualifier_in_vocabulary"
KIND_IN_VOCABULARY = "kind_in_vocabulary"
PERIOD_IN_VOCABULARY = "period_in_vocabulary"
REGION_NOT_NULL = "region_not_null"
REGION_IN_DIM_REGION = "region_in_dim_region"
QUOTE_NOT_EMPTY = "quote_not_empty"
QUOTE_EQUALS_RAW_TEXT = "quote_equals_raw_text_at_offsets"
VALUE_CANONICAL_EQUALS_VALUE_TIMES_MULTIPLIER = "value_canonical_equals_value_times_multiplier"
VALUE_CANONICAL_FINITE = "value_canonical_finite"
VALUE_MAX_CANONICAL_FINITE = "value_max_canonical_finite"
VALUE_CANONICAL_NOT_NAN = "value_canonical_not_nan"

FIGURE_ROW_RULES: list[Rule] = [
    # Non-finite numbers first: a row is filed under the first rule it fails, and ±inf or NaN is the cause.
    # GX treats NaN as missing (a between rule skips it), so NaN is caught by a not-null rule.
    _between(VALUE_CANONICAL_FINITE, ERROR, "value_canonical", -FINITE_MAX, FINITE_MAX, None,
             "value_canonical is a finite number (not ±inf)."),
    _between(VALUE_MAX_CANONICAL_FINITE, ERROR, "value_max_canonical", -FINITE_MAX, FINITE_MAX, None,
             "value_max_canonical, when set, is a finite number (not ±inf)."),
    _not_null(VALUE_CANONICAL_NOT_NAN, ERROR, "value_canonical", "value_canonical is a number (not NaN)."),
    _between(RATE_PERCENT_WITHIN_0_100, ERROR, "value_canonical", 0, 100,
             'category == "rate" and unit_canonical == "percent"', "A rate in percent lies within 0–100."),
    _between(GROWTH_RATE_WITHIN_BOUNDS, ERROR, "value_canonical", GROWTH_MIN, GROWTH_MAX,
             'category == "growth_rate"', "A growth rate lies within −100 … 1000."),
    _between(VALUE_CANONICAL_NON_NEGATIVE, ERROR, "value_canonical", 0, None, None,
             "Canonical values are not negative (a decrease is a qualifier, not a sign)."),
    Rule(VALUE_MAX_NOT_BELOW_VALUE, ERROR, "ExpectColumnPairValuesAToBeGreaterThanB",
         {"column_A": "value_max", "column_B": "value", "or_equal": True, "ignore_row_if": "either_value_is_missing"},
         "The upper end of a range is not below its lower end."),
    Rule(CATEGORY_IN_VOCABULARY, ERROR, "ExpectColumnValuesToBeInSet", {"column": "category", "value_set": list(CATEGORIES)},
         "category is one of extraction.models.CATEGORIES."),
    Rule(QUALIFIER_IN_VOCABULARY, ERROR, "ExpectColumnValuesToBeInSet", {"column": "qualifier", "value_set": list(QUALIFIERS)},
         "qualifier is one of extraction.models.QUALIFIERS."),
    Rule(KIND_IN_VOCABULARY, ERROR, "ExpectColumnValuesToBeInSet", {"column": "kind", "value_set": list(KINDS)},
         "kind is one of extraction.models.KINDS."),
    Rule(PERIOD_IN_VOCABULARY, ERROR, "ExpectColumnValuesToMatchRegex",
         {"column": "period", "regex": PERIOD_PATTERN.replace("^(", "^(?:", 1)},  # non-capturing: pandas warns on groups
         "period matches extraction.models.PERIOD_PATTERN."),
    # period_basis_in_vocabulary, region_basis_in_vocabulary, kind_basis_in_vocabulary (NULL: loaded before 005)
    *[Rule(f"{basis}_in_vocabulary", ERROR, "ExpectColumnValuesToBeInSet", {"column": basis, "value_set": list(BASES)},
           f"{basis} is one of extraction.models.BASES.") for basis in BASIS_COLUMNS],
    _not_null(REGION_NOT_NULL, ERROR, "region_zh", "Every figure names its region."),
    _not_null(REGION_IN_DIM_REGION, ERROR, "dim_region_key", "The region resolves to a row of dim_region."),
    Rule(QUOTE_NOT_EMPTY, ERROR, "ExpectColumnValueLengthsToBeBetween", {"column": "quote", "min_value": 1},
         "Every figure keeps the sentence it came from."),
    Rule(QUOTE_EQUALS_RAW_TEXT, ERROR, "ExpectColumnPairValuesToBeEqual",
         {"column_A": "quote", "column_B": "text_at_offsets", "ignore_row_if": "either_value_is_missing"},
         "quote == document text[char_start:char_end) (rows whose raw text is unavailable are skipped)."),
    _between(VALUE_CANONICAL_EQUALS_VALUE_TIMES_MULTIPLIER, ERROR, "canonical_relative_error", 0, CANONICAL_TOLERANCE, None,
             "value_canonical == value × the unit's multiplier (warehouse/units.py)."),
]

# ---- subject facts: rules on fact_gdp, fact_revenue and the count tables (frames: expectations/frames.py).
GDP_TOTAL_YEARLY_MAGNITUDE = "gdp_total_yearly_within_1e8_3e14_yuan"
GDP_PART_NOT_ABOVE_TOTAL = "gdp_part_not_above_total"
REVENUE_NOT_ABOVE_GDP = "revenue_not_above_gdp"
COUNT_NON_NEGATIVE = "count_non_negative"
COUNT_IS_INTEGER = "count_is_integer"

def _not_above_gdp_total(name, description) -> Rule:
    """value_canonical (yuan) ≤ gdp_total_yuan (the frame's GDP of the same region, period and kind), where both are known."""
    return Rule(name, ERROR, "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "gdp_total_yuan", "column_B": "value_canonical", "or_equal": True,
                 "ignore_row_if": "either_value_is_missing"}, description)


GDP_RULES: list[Rule] = [
    _between(GDP_TOTAL_YEARLY_MAGNITUDE, ERROR, "value_canonical", GDP_YEARLY_MIN_YUAN, GDP_YEARLY_MAX_YUAN,
             'metric_id == "gdp.total" and period_grain == "year"',
             "A region's yearly GDP (gdp.total) lies within 1e8–3e14 yuan."),
    _not_above_gdp_total(GDP_PART_NOT_ABOVE_TOTAL,
                         "A part of GDP (value added of a sector) is not above the region's GDP for the same period and kind."),
]
REVENUE_RULES: list[Rule] = [
    _not_above_gdp_total(REVENUE_NOT_ABOVE_GDP,
                         "Fiscal revenue is not above the region's GDP for the same period and kind."),
]
COUNT_RULES: list[Rule] = [
    _between(COUNT_NON_NEGATIVE, ERROR, "value_canonical", 0, None, None, "A count is not negative."),
    _between(COUNT_IS_INTEGER, ERROR, "count_distance_to_integer", 0, COUNT_INTEGER_TOLERANCE, None,
             "A count (unit_canonical count; rates like 件/万人 are not counts) is a whole number."),
]

# ---- integrity: keys and references across the warehouse.
FIGURE_ID_UNIQUE = "fact_figure_figure_id_unique"
DOCUMENT_ID_UNIQUE = "dim_document_doc_id_unique"
REGION_KEY_UNIQUE = "dim_region_region_code_unique"
METRIC_KEY_UNIQUE = "dim_metric_metric_id_unique"
QUARANTINE_KEY_UNIQUE = "quarantined_figures_key_unique"
FIGURE_DOCUMENT_RESOLVES = "fact_figure_doc_id_in_dim_document"
FIGURE_REGION_RESOLVES = "fact_figure_region_in_dim_region"
FIGURE_REGION_DECIDED = "fact_figure_region_code_decided"
FIGURE_METRIC_RESOLVES = "fact_figure_metric_id_in_dim_metric"
NO_ORPHAN_FIGURES = "no_active_figure_of_retired_document"
CONFLICT_SHARE_UNDER_THRESHOLD = "metric_series_conflict_share_under_threshold"

FIGURE_INTEGRITY_RULES: list[Rule] = [
    _unique(FIGURE_ID_UNIQUE, ["figure_id"], "figure_id identifies one figure."),
    _not_null(FIGURE_DOCUMENT_RESOLVES, ERROR, "dim_document_key", "Every figure's doc_id is a row of dim_document."),
    _not_null(FIGURE_REGION_RESOLVES, ERROR, "dim_region_key", "Every figure's region_code is a row of dim_region.",
              condition="has_region == True"),
    _not_null(FIGURE_REGION_DECIDED, WARN, "region_code", "A figure that names its region has that division's code: "
              "a name several divisions share that its document does not resolve is listed in ambiguous_region.",
              condition="names_region == True"),
    _not_null(FIGURE_METRIC_RESOLVES, ERROR, "dim_metric_key", "Every figure's metric_id is a row of dim_metric.",
              condition="has_metric_id == True"),
    _not_null(NO_ORPHAN_FIGURES, ERROR, "active_document_key",
              "An active figure belongs to an active document (retired documents retire their figures)."),
]
DOCUMENT_INTEGRITY_RULES = [_unique(DOCUMENT_ID_UNIQUE, ["doc_id"], "doc_id identifies one document.")]
REGION_INTEGRITY_RULES = [_unique(REGION_KEY_UNIQUE, ["region_code"], "region_code identifies one division.")]
METRIC_INTEGRITY_RULES = [_unique(METRIC_KEY_UNIQUE, ["metric_id"], "metric_id identifies one metric.")]
QUARANTINE_INTEGRITY_RULES = [_unique(QUARANTINE_KEY_UNIQUE, ["figure_id", "expectation"],
                                      "A figure is quarantined once per expectation.")]
SERIES_RULES: list[Rule] = [Rule(CONFLICT_SHARE_UNDER_THRESHOLD, WARN, "ExpectColumnMeanToBeBetween",
                     {"column": "conflict_flag", "min_value": 0, "max_value": CONFLICT_SHARE_MAX},
                     f"At most {CONFLICT_SHARE_MAX:.0%} of metric_series rows have conflicting sources.")]

