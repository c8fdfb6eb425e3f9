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

from extraction.lexicon_loader import read_yaml
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
    return read_yaml(_DATA)


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
    if {"quote", "sentence", "unit_zh", "metric_key"} <= set(figures.columns):
        figures = _bare_nominations(_reread_from_quotes(figures))
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


@dataclass(frozen=True)
class QuoteRules:
    categories: frozenset
    classifiers: frozenset
    trailing: re.Pattern
    verbs: re.Pattern
    clause_end: re.Pattern
    level_categories: frozenset
    level_list: re.Pattern
    value_added_category: str
    value_added_phrase: str
    value_added_subject: re.Pattern


@lru_cache(maxsize=1)
def quote_rules() -> QuoteRules:
    c = _data()["context_rules"]
    r, lv, va = c["reread_counts"], c["level_lists"], c["bare_value_added"]
    return QuoteRules(frozenset(r["categories"]), frozenset(r["classifiers"]), re.compile(r["trailing"]),
                      re.compile(r["verbs"]), re.compile(r["clause_end"]), frozenset(lv["categories"]),
                      re.compile(lv["pattern"]), va["category"], va["phrase"], re.compile(va["subject"]))


_NUMBER = re.compile(r"[0-9０-９〇零一二两兩三四五六七八九十百千万萬]")
_BREAK = re.compile(r"\s+")


def _place(metric_zh: str, quote: str, sentence: str) -> tuple[str, str, str] | None:
    """(text of the quote before the phrase, of the quote after it, of the sentence after the quote), glosses
    removed; None when the phrase is not in its quote."""
    quote, sentence = _PINYIN.sub("", quote), _PINYIN.sub("", sentence)
    at = quote.find(metric_zh) if metric_zh else -1
    if at < 0:
        return None
    start = sentence.find(quote)
    return quote[:at], quote[at + len(metric_zh):], sentence[start + len(quote):] if start >= 0 else ""


def reread_phrase(metric_zh: str | None, category: str | None, unit_zh: str | None, quote: str | None,
                  sentence: str | None) -> str | None:
    """The phrase a count's quote and sentence say it counts (reread_counts), when that is not metric_zh."""
    rules = quote_rules()
    metric_zh = metric_zh or ""
    placed = _place(metric_zh, quote or "", sentence or "") if category in rules.categories else None
    if placed is None:
        return None
    before, after, rest = placed
    following = rules.trailing.sub("", rules.clause_end.split(rest, maxsplit=1)[0])
    counted_after = bool(following) and (unit_zh or "") in rules.classifiers and after.rstrip().endswith(unit_zh or "-")
    pieces = _BREAK.split(metric_zh.strip())
    if _NUMBER.search(before):                         # 86个中国名牌 新增…: the phrase follows its number
        piece = pieces[0]
        if rules.verbs.search(piece):                  # 5家企业荣获 | 市长质量奖
            return following or None
        piece = rules.trailing.sub("", piece)
    else:                                              # …名牌和4个 | 区域名牌: the phrase precedes its number
        if counted_after:
            return following
        piece = pieces[-1]
        if rules.trailing.search(piece):               # the phrase of the figure before
            return None
    return piece if piece and piece != metric_zh else None


def level_list_phrase(metric_zh: str | None, category: str | None, quote: str | None, sentence: str | None) -> str | None:
    """国家、省、 + 市级品牌: the phrase completed by the bare level words listed before it (level_lists)."""
    rules = quote_rules()
    if category not in rules.level_categories or not metric_zh:
        return None
    placed = _place(metric_zh, quote or "", sentence or "")
    if placed is None:
        return None
    text = _PINYIN.sub("", sentence or "")
    start = text.find(_PINYIN.sub("", quote or ""))
    if start < 0:
        return None
    levels = rules.level_list.search(text[:start + len(placed[0])])
    return levels.group(0) + metric_zh if levels else None


def value_added_phrase(metric_zh: str | None, category: str | None, quote: str | None, sentence: str | None) -> str | None:
    """A bare 增加值 completed by the output named before it in the sentence (bare_value_added)."""
    rules = quote_rules()
    if category != rules.value_added_category or key_phrase(metric_zh) != rules.value_added_phrase:
        return None
    text = _PINYIN.sub("", sentence or "")
    start = text.find(_PINYIN.sub("", quote or ""))
    subjects = rules.value_added_subject.findall(text[:start]) if start > 0 else []
    return subjects[-1] + rules.value_added_phrase if subjects else None


def _reread_from_quotes(df: pl.DataFrame) -> pl.DataFrame:
    """Figures whose quote and sentence name what they count better than their phrase: a count no rule maps,
    a phrase after a list of level words, a bare 增加值. Their metric_id and metric_key follow the phrase so read."""
    rules = quote_rules()
    candidates = ((pl.col("metric_id").is_null() & pl.col("category").is_in(list(rules.categories)))
                  | pl.col("category").is_in(list(rules.level_categories))
                  | ((pl.col("category") == rules.value_added_category) & pl.col("metric_zh").str.contains(rules.value_added_phrase)))
    df = df.with_row_index("_row")
    rows = df.filter(candidates).select("_row", "metric_zh", "category", "unit_zh", "quote", "sentence", "metric_id")
    ids, keys, index = [], [], []
    for row, metric_zh, category, unit_zh, quote, sentence, metric_id in rows.iter_rows():
        listed = level_list_phrase(metric_zh, category, quote, sentence)
        if listed is not None:                          # the total of the listed levels, or not sure
            ids.append(metric_id_for(listed, category)), keys.append(metric_key_for(listed, category)), index.append(row)
            continue
        phrase = value_added_phrase(metric_zh, category, quote, sentence) or (
            reread_phrase(metric_zh, category, unit_zh, quote, sentence) if metric_id is None else None)
        found = metric_id_for(phrase, category) if phrase else None
        if found:
            ids.append(found), keys.append(metric_key_for(phrase, category)), index.append(row)
    if not index:
        return df.drop("_row")
    new = pl.DataFrame({"_row": index, "_id": ids, "_key": keys},
                       schema={"_row": pl.UInt32, "_id": pl.String, "_key": pl.String})
    df = df.join(new, on="_row", how="left", maintain_order="left")
    changed = pl.col("_row").is_in(new["_row"].implode())
    return df.with_columns(pl.when(changed).then(pl.col("_id")).otherwise(pl.col("metric_id")).alias("metric_id"),
                           pl.when(changed).then(pl.col("_key")).otherwise(pl.col("metric_key")).alias("metric_key")
                           ).drop("_row", "_id", "_key")


def _bare_nominations(df: pl.DataFrame) -> pl.DataFrame:
    """A bare 提名奖 takes the nomination id of the award the figure before it in the same sentence names."""
    rule = _data()["context_rules"]["bare_nominations"]
    bare = re.compile(rule["phrase"])
    of = rule["of"]
    # the columns the rule reads, not the whole frame, are ordered by position (300,000 figures: seconds, and
    # a copy of every column twice)
    narrow = df.select("doc_id", "char_start", "metric_id", "sentence", "metric_zh", "category").with_row_index("_row")
    before = [pl.col(c).shift(1).over("doc_id", order_by="char_start").alias("_prev_" + c) for c in ("metric_id", "sentence")]
    narrow = map_distinct(narrow.with_columns(before), ["metric_zh"], lambda m: bool(bare.search(key_phrase(m))),
                          "_bare", pl.Boolean)
    nominated = pl.col("_prev_metric_id").cast(pl.String).replace_strict(of, default=None, return_dtype=pl.String)
    stated = ((pl.col("category") == rule["category"]) & pl.col("_bare") & pl.col("metric_id").is_null()
              & (pl.col("_prev_sentence") == pl.col("sentence")))
    metric_id = narrow.sort("_row").select(pl.when(stated).then(nominated).otherwise(pl.col("metric_id")).alias("metric_id"))
    return df.with_columns(metric_id.to_series())


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
    d = read_yaml(_SYNONYMS)
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
