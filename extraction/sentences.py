"""The sentence (or table row) a figure's quote sits in, in the document's raw text.

The quote is the figure's exact anchor; the sentence is the statement an analyst reads. Sentence ends are
data (lexicon/sentences.yaml)."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from extraction.lexicon_loader import load

ELLIPSIS = "…"


@lru_cache(maxsize=1)
def _lexicon() -> tuple[re.Pattern, int]:
    lexicon = load("sentences")
    return re.compile("[" + "".join(re.escape(c) for c in lexicon["ends"]) + "]"), int(lexicon["max_chars"])


@dataclass(frozen=True)
class Sentences:
    """The sentence boundaries of one text, found once; `around` is a bisection per figure."""

    text: str
    starts: list[int]   # 0 and the position after every sentence end

    @classmethod
    def of(cls, text: str) -> "Sentences":
        ends, _ = _lexicon()
        return cls(text, [0] + [m.end() for m in ends.finditer(text)])

    def around(self, start: int, end: int) -> str:
        """The sentence holding text[start:end) (through the end of the sentence its last character is in),
        trimmed of surrounding whitespace; at most max_chars characters, cut around the quote."""
        _, longest = _lexicon()
        first = self.starts[bisect.bisect_right(self.starts, start) - 1]
        i = bisect.bisect_left(self.starts, max(end, start + 1))
        last = self.starts[i] if i < len(self.starts) else len(self.text)
        if last - first > longest:
            room = max(0, longest - (end - start)) // 2
            cut_first, cut_last = max(first, start - room), min(last, end + room)
            return ((ELLIPSIS if cut_first > first else "") + self.text[cut_first:cut_last].strip()
                    + (ELLIPSIS if cut_last < last else ""))
        return self.text[first:last].strip()
