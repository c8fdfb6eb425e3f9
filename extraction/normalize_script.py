"""Traditional → Simplified script conversion (OpenCC), shared by the extractor and the warehouse."""
from __future__ import annotations

from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    return _T2S.convert(text) if text else text
