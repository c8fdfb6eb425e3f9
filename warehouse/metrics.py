"""Metric identity: every figure's metric_key (metric_synonyms.yaml) and, when a rule is sure, its metric_id
(metric_catalogue.yaml).

metric_key_for: the clean metric phrase, normalised (Simplified, no years, scope, comparison or leading region
words, one spelling per synonym) — the same indicator phrased the same way groups across documents.
metric_id_for: a phrase that (after its scope/verb prefix) equals an alias or fully matches a pattern, else the
first entry whose `match` rule holds on the normalised phrase: a head noun that ends it, the modifiers it must
contain, the words that exclude it — so 人均地区生产总值 or 第一产业增加值 never become gdp.total, and a
食品 pass rate never a product one. A growth rate takes the growth id of the entry its phrase names. Context
rules then look at a figure's neighbours in the same document (a 地方 revenue beside an all-level one;
城乡…分别为 A、B; 三次产业结构 A:B:C).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from extraction.normalize_script import to_simplified
from warehouse.distinct import map_distinct

_DATA = Path(__file__).with_name("metric_catalogue.yaml")
_PINYIN = re.compile(r"\([a-zA-Z\u00C0-\u024F]+\)")
_SPACE = re.compile(r"\s+")
GROWTH_SUFFIX = ".growth"
GROWTH_CATEGORY = "growth_rate"


@dataclass(frozen=True)
class MatchRule:
    """A rule over the normalised phrase (metric_key): its head noun ends it, every `with` modifier is in it,
    no `without` word is."""
    head: re.Pattern
    with_: tuple[re.Pattern, ...]
    without: re.Pattern | None

    def matches(self, phrase: str) -> bool:
        return (self.head.search(phrase) is not None and all(w.search(phrase) for w in self.with_)
                and not (self.without and self.without.search(phrase)))


@dataclass(frozen=True)
class Metric:
    metric_id: str
    category: str
    name_zh: str
    unit_canonical: str
    description: str
    aliases: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    growth_id: str              # the id of its growth rate: `growth_id` in the YAML or <id>.growth
    rules: tuple[MatchRule, ...] = ()


def _rule(spec: dict) -> MatchRule:
    without = spec.get("without") or []
    # the head ends the phrase, or stands before a bracketed qualifier: 省名牌(农业类)
    return MatchRule(re.compile("(?:" + spec["head"] + r")(?:\([^()]*\))?$"), tuple(re.compile(w) for w in spec.get("with") or ()),
                     re.compile("|".join(without)) if without else None)


@dataclass(frozen=True)
class Matching:
    prefix: re.Pattern          # one leading scope/verb word (applied repeatedly)
    growth_suffixes: tuple[str, ...]
    strip_suffixes: tuple[str, ...]


@dataclass(frozen=True)
class LocalCounterpart:
    metric: str
    local_marker: str
    other: str


@dataclass(frozen=True)
class PairedPhrase:
    phrase: str
    metrics: tuple[str, ...]


def normalise_phrase(text: str | None) -> str:
    text = _PINYIN.sub("", text or "")
    text = _SPACE.sub("", text).replace("（", "(").replace("）", ")")
    return to_simplified(text).upper()


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def matching() -> Matching:
    m = _data()["matching"]
    prefixes = sorted((normalise_phrase(p) if not p.startswith("\\") else p for p in m["strip_prefix_patterns"]),
                      key=len, reverse=True)
    return Matching(
        prefix=re.compile("^(?:" + "|".join(prefixes) + ")"),
        growth_suffixes=tuple(sorted((normalise_phrase(s) for s in m["growth_suffixes"]), key=len, reverse=True)),
        strip_suffixes=tuple(normalise_phrase(s) for s in m["strip_suffixes"]),
    )


@lru_cache(maxsize=1)
def catalogue() -> tuple[Metric, ...]:
    return tuple(
        Metric(m["id"], m["category"], m["name_zh"], m["unit"], m.get("description", ""),
               tuple(normalise_phrase(a) for a in m.get("aliases") or ()),
               tuple(re.compile(p) for p in m.get("patterns") or ()),
               m.get("growth_id") or m["id"] + GROWTH_SUFFIX,
               tuple(_rule(r) for r in m.get("match") or ()))
        for m in _data()["metrics"]
    )


def growth_id_of(metric_id: str) -> str:
    """The growth metric of a catalogued metric (gdp.total → gdp.growth), else <metric_id>.growth."""
    for m in catalogue():
        if m.metric_id == metric_id:
            return m.growth_id
    return metric_id + GROWTH_SUFFIX


@lru_cache(maxsize=1)
def local_counterparts() -> tuple[LocalCounterpart, ...]:
    return tuple(LocalCounterpart(r["metric"], normalise_phrase(r["local_marker"]), r["other"])
                 for r in _data()["context_rules"].get("local_counterparts") or ())


@dataclass(frozen=True)
class StructurePhrase:
    pattern: re.Pattern
    metrics: tuple[str, ...]


@lru_cache(maxsize=1)
def structure_phrases() -> tuple[StructurePhrase, ...]:
    return tuple(StructurePhrase(re.compile(r["pattern"]), tuple(r["metrics"]))
                 for r in _data()["context_rules"].get("structure_phrases") or ())


@lru_cache(maxsize=1)
def paired_phrases() -> tuple[PairedPhrase, ...]:
    return tuple(PairedPhrase(normalise_phrase(r["phrase"]), tuple(r["metrics"]))
                 for r in _data()["context_rules"].get("paired_phrases") or ())


@lru_cache(maxsize=65536)
def core_phrase(metric_zh: str | None, category: str | None) -> str:
    """The phrase without its scope/verb prefix, growth wording (growth rates) and trailing counter."""
    rules = matching()
    phrase = normalise_phrase(metric_zh)
    while True:
        shorter = rules.prefix.sub("", phrase, count=1)
        if shorter == phrase or not shorter:
            break
        phrase = shorter
    if category == GROWTH_CATEGORY:
        phrase = _strip_suffix(phrase, rules.growth_suffixes)
    return _strip_suffix(phrase, rules.strip_suffixes)


def _strip_suffix(phrase: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if phrase.endswith(suffix) and len(phrase) > len(suffix):
            return phrase[: -len(suffix)]
    return phrase


@lru_cache(maxsize=1)
def _alias_index() -> dict[tuple[str, str], Metric]:
    return {(alias, m.category): m for m in catalogue() for alias in m.aliases}


@lru_cache(maxsize=1)
def _money_alias_index() -> dict[str, Metric]:
    return {alias: m for m in catalogue() if m.unit_canonical == "yuan" for alias in m.aliases}


def _match(phrase: str, category: str) -> Metric | None:
    metric = _alias_index().get((phrase, category))
    if metric:
        return metric
    for m in catalogue():
        if m.category == category and any(p.fullmatch(phrase) for p in m.patterns):
            return m
    return None


@lru_cache(maxsize=65536)
def metric_id_for(metric_zh: str | None, category: str | None) -> str | None:
    """The catalogue id of a figure, or None when its phrase is not catalogued.

    A phrase that names its region first (珠海市全市实现地区生产总值, 珠海第一产业增加值) is retried without
    it — only after the whole phrase failed, so 咸宁市名牌 stays a city brand.
    """
    if not category:
        return None
    found = _metric_id_of_core(core_phrase(metric_zh, category), category)
    if found is None:
        rest = _without_leading_region(normalise_phrase(metric_zh))
        if rest:
            found = _metric_id_of_core(core_phrase(rest, category), category)
    if found is None:
        found = _metric_id_by_rules(key_phrase(metric_zh), category)
    return found


def _metric_id_by_rules(phrase: str, category: str) -> str | None:
    """The first catalogue entry (in file order: specific before general) whose `match` rule holds. A growth
    rate takes the growth id of the entry its phrase names, whatever that entry's category."""
    if not phrase or key_rules().several.search(phrase):  # 分别…: one value of each of several metrics
        return None
    growth = category == GROWTH_CATEGORY
    if growth:
        phrase = key_rules().growth_suffix.sub("", phrase)
    for m in catalogue():
        if (growth or m.category == category) and any(r.matches(phrase) for r in m.rules):
            return m.growth_id if growth else m.metric_id
    return None


def _without_leading_region(phrase: str) -> str | None:
    from extraction.regions import lookup

    phrase = re.sub(r"^\d{4}年", "", phrase)
    for n in (4, 3, 2):
        if len(phrase) > n and lookup(phrase[:n]) is not None:
            return phrase[n:]
    return None


def _metric_id_of_core(phrase: str, category: str) -> str | None:
    if not phrase:
        return None
    if category == GROWTH_CATEGORY:
        base = _money_alias_index().get(phrase)
        return base.growth_id if base else None
    metric = _match(phrase, category)
    return metric.metric_id if metric else None


def apply_context_rules(figures: pl.DataFrame) -> pl.DataFrame:
    """Re-map metric ids that depend on the other figures of the same document, region, period and category.

    Needs the columns doc_id, region_zh, period, category, metric_zh, metric_id, char_start.
    """
    if figures.is_empty():
        return figures
    group = ["doc_id", "region_zh", "period", "category"]
    df = map_distinct(figures, ["metric_zh", "category"], core_phrase, "_core", pl.String)
    growth = pl.col("category") == GROWTH_CATEGORY

    def level_or_growth(metric_id: str) -> pl.Expr:
        return pl.when(growth).then(pl.lit(growth_id_of(metric_id))).otherwise(pl.lit(metric_id))

    for rule in local_counterparts():
        of_metric = pl.col("metric_id").is_in([rule.metric, growth_id_of(rule.metric)])
        is_local = pl.col("_core").str.starts_with(rule.local_marker)
        local_stated = (of_metric & is_local).any().over(group)
        df = df.with_columns(
            pl.when(of_metric & ~is_local & local_stated).then(level_or_growth(rule.other))
            .otherwise(pl.col("metric_id")).alias("metric_id"))
    for rule in paired_phrases():
        rank = pl.col("char_start").rank("ordinal").over([*group, "_core"]) - 1
        chosen = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
        for i, metric_id in enumerate(rule.metrics):
            chosen = chosen.when(rank == i).then(level_or_growth(metric_id))
        df = df.with_columns(
            pl.when(pl.col("_core") == rule.phrase).then(chosen.otherwise(pl.col("metric_id")))
            .otherwise(pl.col("metric_id")).alias("metric_id"))
    if structure_phrases():
        df = map_distinct(df, ["metric_zh"], _structure_rule_of, "_structure", pl.Int32)
        parts = [*group, "_structure"]
        complete = pl.len().over(parts)  # exactly one value per part of the structure, or none is sure
        rank = pl.col("char_start").rank("ordinal").over(parts) - 1
        for index, rule in enumerate(structure_phrases()):
            stated = (pl.col("category") == "rate") & (pl.col("_structure") == index) & (complete == len(rule.metrics))
            chosen = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
            for i, metric_id in enumerate(rule.metrics):
                chosen = chosen.when(rank == i).then(pl.lit(metric_id))
            df = df.with_columns(pl.when(stated).then(chosen).otherwise(pl.col("metric_id")).alias("metric_id"))
        df = df.drop("_structure")
    return df.drop("_core")


def _structure_rule_of(metric_zh: str | None) -> int | None:
    """The index of the structure phrase (三次产业结构) the figure's normalised phrase is, else None."""
    phrase = key_phrase(metric_zh)
    return next((i for i, r in enumerate(structure_phrases()) if r.pattern.fullmatch(phrase)), None)


def catalogue_rows() -> list[dict]:
    """Rows of dim_metric, including the derived growth metrics of money amounts."""
    rows = []
    for m in catalogue():
        rows.append({"metric_id": m.metric_id, "category": m.category, "name_zh": m.name_zh,
                     "unit_canonical": m.unit_canonical, "description": m.description})
        # every metric has its growth: in percent, or in percentage points for a rate
        rows.append({"metric_id": m.growth_id, "category": GROWTH_CATEGORY,
                     "name_zh": m.name_zh + "增长率" if m.unit_canonical != "percent" else m.name_zh + "变化",
                     "unit_canonical": "points" if m.unit_canonical == "percent" else "percent",
                     "description": f"Growth rate of {m.metric_id} (signed: a decrease is negative in metric_series)."})
    return rows


# ---- metric_key: the normalised phrase, for every figure (metric_synonyms.yaml) ---------------------------
_SYNONYMS = Path(__file__).with_name("metric_synonyms.yaml")


@dataclass(frozen=True)
class KeyRules:
    level_qualified: re.Pattern
    level_word: dict
    not_regions: frozenset
    drop: re.Pattern
    synonyms: tuple[tuple[re.Pattern, str], ...]
    growth_suffix: re.Pattern
    growth_key_suffix: str
    unnamed_prefix: str
    several: re.Pattern
    level_qualified_inner: re.Pattern


@lru_cache(maxsize=1)
def key_rules() -> KeyRules:
    d = yaml.safe_load(_SYNONYMS.read_text(encoding="utf-8"))
    return KeyRules(
        level_qualified=re.compile("^(?:" + "|".join(map(re.escape, d["level_qualified"])) + ")"),
        level_word=d["level_word"],
        not_regions=frozenset(d["not_regions"]),
        drop=re.compile("|".join(d["drop"])),
        synonyms=tuple((re.compile(p), r) for p, r in d["synonyms"]),
        growth_suffix=re.compile("(?:" + "|".join(sorted(d["growth_words"], key=len, reverse=True)) + ")+$"),
        growth_key_suffix=d["growth_key_suffix"],
        unnamed_prefix=d["unnamed_prefix"],
        several=re.compile("|".join(d["several_markers"])),
        level_qualified_inner=re.compile("|".join(map(re.escape, d["level_qualified"]))),
    )


def _drop_leading_region(phrase: str, rules: KeyRules) -> str:
    """Without its leading region names (宁德福建名牌 → 省名牌: 宁德, then 福建 keeping its level)."""
    while True:
        shorter = _drop_one_region(phrase, rules)
        if shorter == phrase:
            return _level_of_inner_regions(phrase, rules)
        phrase = shorter


def _level_of_inner_regions(phrase: str, rules: KeyRules) -> str:
    """A region name inside the phrase, right before a level-qualified word, becomes its level (取得福建名牌 →
    取得省名牌); elsewhere inside a phrase a region name is kept (it may be part of the thing: 山东名优农产品)."""
    from extraction.regions import lookup

    for m in rules.level_qualified_inner.finditer(phrase):
        for n in (4, 3, 2):
            start = m.start() - n
            if start < 0:
                continue
            head = phrase[start:m.start()]
            region = head not in rules.not_regions and lookup(head)
            if region:
                level = rules.level_word.get(region.level, "")
                return phrase[:start] + (level if not phrase[m.start():].startswith(level) else "") + phrase[m.start():]
    return phrase


def _drop_one_region(phrase: str, rules: KeyRules) -> str:
    from extraction.regions import lookup

    for n in range(min(len(phrase) - 1, 8), 1, -1):
        head = phrase[:n]
        if head in rules.not_regions:
            continue
        region = lookup(head)
        if region is None:
            continue
        rest = phrase[n:]
        if rules.level_qualified.match(rest):
            level = rules.level_word.get(region.level, "")
            return (level if not rest.startswith(level) else "") + rest
        return rest
    return phrase


@lru_cache(maxsize=65536)
def key_phrase(metric_zh: str | None) -> str:
    """The normalised phrase of metric_key before any growth handling: what the catalogue's rules read."""
    from extraction.metric_phrase import clean_metric_phrase

    rules = key_rules()
    phrase = rules.drop.sub("", normalise_phrase(clean_metric_phrase(metric_zh)))
    phrase = _drop_leading_region(phrase, rules)
    for pattern, replacement in rules.synonyms:
        phrase = pattern.sub(replacement, phrase)
    return phrase


@lru_cache(maxsize=65536)
def metric_key_for(metric_zh: str | None, category: str | None) -> str:
    """The normalised key of a figure's metric phrase: Simplified, no years, scope, comparison or leading region
    words, one spelling per synonym; a growth rate's key ends in 增长. Never empty: a phrase that names nothing
    gets `~<category>`, and one naming several indicators (…分别…) `~<key>`; neither joins a series."""
    rules = key_rules()
    phrase = key_phrase(metric_zh)
    growth = category == GROWTH_CATEGORY
    if growth:
        phrase = rules.growth_suffix.sub("", phrase)
    if not phrase:
        return rules.unnamed_prefix + (category or "")
    key = phrase + rules.growth_key_suffix if growth else phrase
    return rules.unnamed_prefix + key if rules.several.search(key) else key
