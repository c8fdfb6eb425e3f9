"""Property: any text returns a list, never raises, and every quote is its raw slice."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extraction.engine import extract_figures
from extraction.models import Document

_ALPHABET = st.sampled_from(list("0123456789.,:%~至万亿元个家项年月第一二两三十百千零(zhì)質量增长下降以上多余全市为率、。;\n |?‰"))


def _check(text: str) -> None:
    figures = extract_figures(Document("p.txt", text))
    assert isinstance(figures, list)
    for f in figures:
        assert text[f.char_start:f.char_end] == f.quote


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_random_unicode(text):
    _check(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=300))
def test_figure_like_text(text):
    _check(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    _check(data.decode("utf-8", errors="replace"))


def test_empty_and_large():
    _check("")
    big = ("全县地区生产总值174.06亿元,同比增长8.8%;擁(yōng)有馳名商標(biāo)4個(gè)。\n" * 20000)
    _check(big)
