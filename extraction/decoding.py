"""Bytes → text: detect the encoding of a raw document with charset-normalizer, or say why not."""
from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Encodings a Chinese government page plausibly arrives in. GBK/GB2312 decode as GB18030 (a superset).
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs"}
_ACCEPTED = {"utf_8", "gb18030", "big5hkscs", "hz"}  # UTF-16 is read by its BOM, before detection
_CONTROL_OK = {"\n", "\r", "\t", "\f", "\v"}
_CONTROL_BYTES = bytes(b for b in range(32) if chr(b) not in _CONTROL_OK)


class UndecodableDocument(ValueError):
    """Raised with a human-readable reason when bytes cannot be read as a text document."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:  # anywhere, not only in the sample (C speed): no text encoding we accept writes NUL
        return True
    sample = data[:8192]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))   # C speed: this runs for every file
    return controls > len(sample) * 0.05


def _control_share(text: str) -> float:
    sample = text[:8192]
    if not sample:
        return 0.0
    return sum(1 for c in sample if ord(c) < 32 and c not in _CONTROL_OK) / len(sample)


def decode_document(data: bytes) -> Decoded:
    """Decode raw bytes: UTF-8 (with or without BOM) first, then what charset-normalizer detects."""
    if not data:
        raise UndecodableDocument("empty file (0 bytes)")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return Decoded(data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf_8_sig")
        except UnicodeDecodeError as exc:
            raise UndecodableDocument(f"UTF-8 BOM but invalid UTF-8 at byte {exc.start}") from exc
    if data.startswith(_UTF16_BOMS):  # UTF-16 is the one accepted encoding whose bytes hold NULs
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UndecodableDocument(f"UTF-16 BOM but invalid UTF-16 at byte {exc.start}") from exc
        return _checked(Decoded(text, "utf_16"))
    if _looks_binary(data):
        raise UndecodableDocument("binary content (NUL or control bytes), not a text document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if not text.strip():
            raise UndecodableDocument("blank file (whitespace only)")
        return Decoded(text, "utf_8")
    matches = list(from_bytes(data))  # best first
    if not matches:
        raise UndecodableDocument("no text encoding fits these bytes (charset-normalizer found none)")
    # The best accepted reading: a short GB18030 text fits Korean cp949 just as well (both chaos 0), and is Chinese.
    encoding = next((e for e in (_SUPERSETS.get(m.encoding, m.encoding) for m in matches) if e in _ACCEPTED), None)
    if encoding is None:
        raise UndecodableDocument(f"detected encoding {matches[0].encoding!r} is not a Chinese text encoding")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UndecodableDocument(f"bytes are not valid {encoding}: {exc}") from exc
    return _checked(Decoded(text, encoding))


def _checked(decoded: Decoded) -> Decoded:
    if not decoded.text.strip():
        raise UndecodableDocument("blank file (whitespace only)")
    if "\x00" in decoded.text or _control_share(decoded.text) > 0.05:
        raise UndecodableDocument("decodes only to control characters: binary content")
    return decoded
