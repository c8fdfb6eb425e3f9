"""Load the YAML language resources in extraction/lexicon/ (cached, read once).

(Named lexicon_loader, not lexicon, so that it never shadows or is shadowed by the lexicon/ folder.)
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Return the parsed `lexicon/<name>.yaml`."""
    with open(LEXICON_DIR / f"{name}.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def alternation(words) -> str:
    """A regex alternation of literal words, longest first (so 亿元 wins over 亿)."""
    import re

    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
