"""Pipe-delimited tables whose units live in the header row: 「指标 | 年末数(人) | 比重(%) |」."""
from __future__ import annotations

import re

from extraction.lexicon_loader import line_start_matches, load
from extraction.mentions import Mention
from extraction.numerals import representable
from extraction.units import NO_UNIT, unit_from_text

_VALUE_COLUMNS = set(load("tables")["value_columns"])
_INNER_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")  # 绝 对 数: typesetting, not words
# a whole line with at least two pipes; anchored at line starts so that a line without them costs one
# pass, not one pass per starting character
_LINE = re.compile(r"^[^\n|]*\|[^\n|]*\|[^\n]*", re.M)
# its matches from a match at 0 and a scan behind each \n (re tries a multi-line ^ at every position of a text);
# the plain finditer where line_start_matches cannot tell
_LINE_MATCHES = line_start_matches(_LINE) or (lambda norm: ((m.start(), m) for m in _LINE.finditer(norm)))
_CELL = re.compile(r"[^|]+")
_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*$")
_HEADER_UNIT = re.compile(r"[((]([^()()]{1,6})[))]\s*$")


def scan_tables(norm: str, mask: bytearray, lines: list[tuple[int, int]]) -> list[Mention]:
    """One mention per numeric cell; the metric is the row label plus the column label. `lines`: the text's
    table_lines."""
    out: list[Mention] = []
    header = None
    last_end = -2
    for start, end in lines:
        if start > last_end + 1:
            header = None  # a new table block
        last_end = end
        cells = [(c.start(), c.end(), c.group(0)) for c in _CELL.finditer(norm, start, end) if c.group(0).strip()]
        if not cells:
            continue
        numeric = [bool(_NUMBER.match(t)) for _, _, t in cells]
        if header is None:
            if any(numeric):
                continue
            # a header that opens with a pipe has no label column: its first cell heads column 1
            header = [(start, start, "")] + cells if norm[start:end].lstrip().startswith("|") else cells
            continue
        label_s, label_e, label = cells[0]
        for i, (s, e, t) in enumerate(cells):
            if not numeric[i] or i == 0 or mask[s]:
                continue
            col = header[i][2] if i < len(header) else ""
            hu = _HEADER_UNIT.search(col)
            unit = unit_from_text(hu.group(1)) if hu else NO_UNIT
            num = _NUMBER.match(t)
            ns, ne = s + num.start(1), s + num.end(1)
            prev_s = cells[i - 1][0] + (len(cells[i - 1][2]) - len(cells[i - 1][2].lstrip()))
            value = float(num.group(1))
            if not representable(value):  # beyond a double (400 digits): not a figure
                continue
            mention = Mention(ns, ne, value, None, unit, None, "exact",
                              implied_unit=unit.text, kind_hint="table", start=prev_s)
            label_core = _INNER_SPACE.sub("", label.split(":")[-1].strip())
            col_core = _INNER_SPACE.sub("", _HEADER_UNIT.sub("", col).strip())
            if col_core in _VALUE_COLUMNS:
                col_core = ""
            # the column's words read as the lead (比上年增长)
            mention.extras = {"metric": label_core + col_core, "column": col_core}
            out.append(mention)
    return out


def table_lines(norm: str) -> list[tuple[int, int]]:
    """The spans of the text's table lines (two pipes or more), in order."""
    if "|" not in norm:
        return []
    return [(start, m.end()) for start, m in _LINE_MATCHES(norm)]
