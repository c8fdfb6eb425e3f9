"""Offset-keeping normalisation: raw text → parse text, with a map back to raw offsets.

Two layers share one index space:
  `plain`  raw text minus deleted spans (pinyin glosses, breaks inside numbers): what
           metric_zh and unit_zh are reported from (the document's own script);
  `norm`   `plain` with one-for-one character changes (Traditional → Simplified,
           full-width → ASCII, variants): what every rule matches against.
`to_raw[i]` is the raw offset of plain/norm character i (and len(raw) at the end).
"""
from __future__ import annotations

import itertools
import re
from array import array
from dataclasses import dataclass

from extraction.lexicon_loader import compile_guarded, first_char_finditer, load

try:
    import opencc

    _T2S = opencc.OpenCC("t2s").convert
    _OPENCC_VERSION = opencc.__version__
except Exception:  # pragma: no cover - without OpenCC the variants table still applies
    _T2S = None
    _OPENCC_VERSION = None

# The characters OpenCC's t2s can change (lexicon/build_opencc_chars.py reads them from its dictionaries): a text
# without any is its own conversion, and OpenCC (~1/20 of a short document's extraction) is not called. Any
# character beyond the BMP counts as one (the class stays a bitmap re tests in one step). Another OpenCC than the
# one the list was read from: every text is converted.
_T2S_CHARS = load("opencc_t2s_chars")
_T2S_MAY_CHANGE = re.compile("[" + re.escape("".join(c for c in "".join(_T2S_CHARS["chars"]) if c < "\U00010000"))
                             + "\U00010000-\U0010ffff]") if _T2S_CHARS.get("opencc_version") == _OPENCC_VERSION else None


def t2s_may_change(text: str) -> bool:
    """False when OpenCC t2s returns `text` unchanged for sure (it holds no character t2s can change)."""
    return _T2S_MAY_CHANGE is None or _T2S_MAY_CHANGE.search(text) is not None

_CFG = load("normalize")
_DELETE_PATTERN = "|".join(f"(?:{p})" for p in _CFG["deletions"])
_DELETE = compile_guarded(_DELETE_PATTERN)
_DELETIONS = first_char_finditer(_DELETE_PATTERN)  # _DELETE.finditer, tried only at its first characters
# the first deletion is the pinyin gloss, the one thing regions.normalize_text deletes (its PINYIN_GLOSS)
_GLOSS = re.compile(_CFG["deletions"][0])
_MAPPING = {**_CFG["width"], **_CFG["variants"]}
_TABLE = str.maketrans(_MAPPING)
# str.translate looks every character up in a dict; one str.replace per mapped character (a C scan,
# skipped when the character is absent) is several times faster. Same result as long as the mapping
# is one character for one and never chained (no replacement is itself replaced).
_REPLACEMENTS = tuple((a, b) for a, b in _MAPPING.items() if a != b)
_REPLACE_OK = all(len(a) == 1 and isinstance(b, str) and len(b) == 1 for a, b in _REPLACEMENTS) \
    and not {b for _, b in _REPLACEMENTS} & {a for a, _ in _REPLACEMENTS}
# The variants are characters OpenCC's dictionaries hold (産業 is a phrase of TSPhrases), the width forms are not
# (tests/extraction/test_speedups.py reads the dictionaries): in a text with no variant, mapping the widths before
# the conversion or after it gives the same norm, so the conversion of the raw text itself serves the engine and
# the region resolver (regions.normalize_text) both — one OpenCC pass per text instead of two.
_VARIANTS = tuple(a for a, b in _CFG["variants"].items() if a != b)
# 0, 1, 2, ...: runs of kept characters copy their offsets from here (a memcpy, not a Python loop).
# Kept up to _IDENTITY_MAX entries; longer texts fall back to range().
_IDENTITY = array("l")
_IDENTITY_MAX = 1 << 20
_CHUNK = re.compile(r"[^\n]{1,2000}\n?|\n")


@dataclass(frozen=True)
class NormText:
    raw: str
    plain: str
    norm: str
    to_raw: array | range  # a range when nothing was deleted: the same offsets, none of them stored
    # regions.normalize_text(raw) — OpenCC t2s of `plain` — when nothing but pinyin glosses was deleted; else None
    simplified: str | None = None

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw offsets of the norm span [start, end)."""
        if end <= start:
            s = self.to_raw[start]
            return s, s
        e = self.to_raw[end - 1] + 1
        nxt = self.to_raw[end]
        if nxt > e and self.raw[e] == "(":  # keep the gloss of the last character: 個(gè)
            e = nxt
        return self.to_raw[start], e

    def raw_slice(self, start: int, end: int) -> str:
        s, e = self.raw_span(start, end)
        return self.raw[s:e]


def _to_simplified(text: str) -> str:
    if _T2S is None or not text or not t2s_may_change(text):
        return text
    out = _T2S(text)
    if len(out) == len(text):
        return out
    # A phrase rule changed the length somewhere: convert line by line, then char by char.
    parts = []
    for m in _CHUNK.finditer(text):
        piece = m.group(0)
        conv = _T2S(piece)
        if len(conv) != len(piece):
            conv = "".join(c2 if len(c2 := _T2S(c)) == 1 else c for c in piece)
        parts.append(conv)
    return "".join(parts)


def _map_chars(text: str) -> str:
    """`text.translate(_TABLE)`: width forms and variants, one character for one."""
    if not _REPLACE_OK:
        return text.translate(_TABLE)
    for old, new in _REPLACEMENTS:
        if old in text:
            text = text.replace(old, new)
    return text


def _extend_offsets(to_raw: array, start: int, end: int) -> None:
    """Append start, start + 1, ..., end - 1 to to_raw."""
    global _IDENTITY
    identity = _IDENTITY
    if len(identity) < end <= _IDENTITY_MAX:  # grow by rebinding, never in place: readers keep theirs
        identity = _IDENTITY = array("l", range(min(_IDENTITY_MAX, max(end, 2 * len(identity), 65536))))
    if end <= len(identity):
        to_raw.extend(identity[start:end])
    else:
        to_raw.extend(range(start, end))


def _norm_and_simplified(plain: str, simplified_ok: bool) -> tuple[str, str | None]:
    """The norm of `plain`, and OpenCC t2s of `plain` when `simplified_ok` (else None)."""
    if _T2S is None or not plain:
        return _map_chars(_to_simplified(_map_chars(plain))), None
    simplified = _T2S(plain) if t2s_may_change(plain) else plain
    if len(simplified) == len(plain) and _REPLACE_OK and not any(v in plain for v in _VARIANTS):
        norm = _map_chars(simplified)  # = _map_chars(_to_simplified(_map_chars(plain))), see _VARIANTS
    else:
        norm = _map_chars(_to_simplified(_map_chars(plain)))
    return norm, simplified if simplified_ok else None


def normalize(raw: str) -> NormText:
    raw = raw or ""
    deletions = _DELETIONS(raw)
    first = next(deletions, None)
    if first is None:  # most texts delete nothing: every offset is its own
        norm, simplified = _norm_and_simplified(raw, True)
        return NormText(raw, raw, norm, range(len(raw) + 1), simplified)
    to_raw = array("l")
    kept = []
    pos = 0
    glosses_only = True  # then plain is regions.normalize_text's text before its conversion
    for m in itertools.chain((first,), deletions):
        if m.start() > pos:
            kept.append(raw[pos:m.start()])
            _extend_offsets(to_raw, pos, m.start())
        pos = m.end()
        if glosses_only and not _GLOSS.fullmatch(raw, m.start(), pos):
            glosses_only = False
    kept.append(raw[pos:])
    _extend_offsets(to_raw, pos, len(raw))
    to_raw.append(len(raw))
    plain = "".join(kept)
    norm, simplified = _norm_and_simplified(plain, glosses_only)
    return NormText(raw, plain, norm, to_raw, simplified)
