"""The extractor's version: a release string plus a fingerprint of its code and lexicons.

The warehouse re-extracts a document whenever the version that produced its figures differs,
so a rule change reaches every stored figure on the next load.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

RELEASE = "0.1"
_ROOT = Path(__file__).parent


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(_ROOT.rglob("*")):
        if path.suffix in {".py", ".yaml", ".yml", ".tsv", ".csv", ".json"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


EXTRACTOR_VERSION = f"{RELEASE}+{_fingerprint()}"
