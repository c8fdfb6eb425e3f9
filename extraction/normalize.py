"""Offset-keeping normalisation: raw text → parse text, with a map back to raw offsets.

Two layers share one index space:
  `plain`  raw text minus deleted spans (pinyin glosses, breaks inside numbers): what
           metric_zh and unit_zh are reported from (the document's own script);
  `norm`   `plain` with one-for-one character changes (Traditional → Simplified,
           full-width → ASCII, variants): what every rule matches against.
`to_raw[i]` is the raw offset of plain/norm character i (and len(raw) at the end).
"""
from __future__ import annotations

import re
from array import array
from dataclasses import dataclass

from extraction.lexicon_loader import load

try:
    import opencc

    _T2S = opencc.OpenCC("t2s").convert
except Exception:  # pragma: no cover - without OpenCC the variants table still applies
    _T2S = None

_CFG = load("normalize")
_DELETE = re.compile("|".join(f"(?:{p})" for p in _CFG["deletions"]))
_TABLE = str.maketrans({**_CFG["width"], **_CFG["variants"]})
_CHUNK = re.compile(r"[^\n]{1,2000}\n?|\n")


@dataclass(frozen=True)
class NormText:
    raw: str
    plain: str
    norm: str
    to_raw: array

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
    if _T2S is None or not text:
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


def normalize(raw: str) -> NormText:
    raw = raw or ""
    to_raw = array("l")
    kept = []
    pos = 0
    for m in _DELETE.finditer(raw):
        if m.start() > pos:
            kept.append(raw[pos:m.start()])
            to_raw.extend(range(pos, m.start()))
        pos = m.end()
    kept.append(raw[pos:])
    to_raw.extend(range(pos, len(raw)))
    to_raw.append(len(raw))
    plain = "".join(kept)
    norm = _to_simplified(plain.translate(_TABLE)).translate(_TABLE)
    return NormText(raw, plain, norm, to_raw)
