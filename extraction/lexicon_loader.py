"""Load the YAML language resources in extraction/lexicon/ (cached, read once).

(Named lexicon_loader, not lexicon, so that it never shadows or is shadowed by the lexicon/ folder.)
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"


# libyaml's parser when PyYAML was built with it (the wheels are): the same safe subset, ~8× faster
# (the metric catalogue: 165 → 25 ms, paid by every process that loads it).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str):
    """The parsed YAML file at `path` (safe tags only): how every resource file of qcity is read."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_SAFE_LOADER)


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Return the parsed `lexicon/<name>.yaml`."""
    return read_yaml(LEXICON_DIR / f"{name}.yaml") or {}


def alternation(words) -> str:
    """A regex alternation of literal words, longest first (so 亿元 wins over 亿), then in code-point order:
    the same pattern in every process, whatever the order of `words`."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def compile_guarded(pattern: str, flags: int = 0) -> re.Pattern:
    """`re.compile(pattern)` behind a lookahead on the characters a match can start with.

    A pattern that opens with a lookbehind or a branch of groups makes `re` try every branch at every
    position of the text; `(?=[first characters])` rejects most positions in one step. The matches are
    the same: the guard only fails where the pattern cannot match. Worth it for patterns scanned over
    a whole text (finditer, search); patterns `re` already skips ahead for (opening with a literal or
    a character class), and those whose first character cannot be listed (`.`, a negated class,
    case-insensitive or inline flags, an optional-everything pattern), are compiled as they are.
    """
    first = _first_char_class(pattern, flags)
    if first is None:
        return re.compile(pattern, flags)
    return re.compile(f"(?={first})(?:{pattern})", flags)


def first_char_search(pattern: str, flags: int = 0):
    """`re.compile(pattern, flags).search(text, pos)`, for a whole-text scan of a pattern compile_guarded would guard. A
    lookahead guard enters re's matcher at every position of the text, about a hundred instructions each; here one
    search tests the first characters in re's tight loop over a class, `[first](?<=(?=(?:pattern))[\\s\\S])` (the
    lookbehind steps back over the character to look ahead from it), and the pattern is matched where that holds:
    the same match, as a match starts at a first character and the search finds the leftmost one where a match
    starts. Patterns compile_guarded leaves as they are search as they are."""
    rx = re.compile(pattern, flags)
    first = _first_char_class(pattern, flags)
    if first is None:
        return rx.search
    find = re.compile(f"{first}(?<=(?=(?:{pattern}))[\\s\\S])", flags).search
    match = rx.match

    def search(text: str, pos: int = 0):
        at = find(text, pos)
        return None if at is None else match(text, at.start())

    return search


def first_char_finditer(pattern: str, flags: int = 0):
    """`re.compile(pattern, flags).finditer`, each match found by first_char_search from the end of the last."""
    if _first_char_class(pattern, flags) is None:
        return re.compile(pattern, flags).finditer
    search = first_char_search(pattern, flags)

    def finditer(text: str):
        pos = 0
        while (m := search(text, pos)) is not None:
            yield m
            pos = m.end()  # never empty: _first_char_class lists no pattern that can match empty

    return finditer


class _Unlistable(Exception):
    """The first character of a match cannot be written as a character class."""


def _first_char_class(pattern: str, flags: int) -> str | None:
    """The class of characters a match can start with, from re's own parse of the pattern; None when
    there is none to write (or the parser is not the one this reads)."""
    parsed = _case_sensitive_parse(pattern, flags)
    if parsed is None or parsed.state.flags & ~(flags | re.UNICODE):  # inline flags, (?i) or (?m): must open the pattern
        return None
    from re import _constants as c  # CPython 3.11+, as _case_sensitive_parse's parser
    categories = {c.CATEGORY_DIGIT: r"\d", c.CATEGORY_SPACE: r"\s", c.CATEGORY_WORD: r"\w"}

    def char(code: int) -> str:
        return re.escape(chr(code))  # escapes - ] \ ^ too

    def first(items) -> tuple[list[str], bool]:
        """Class items a match of the sequence can start with, and whether it can match empty."""
        out: list[str] = []
        for op, av in items:
            if op is c.LITERAL:
                return out + [char(av)], False
            if op is c.IN:
                for item_op, item in av:
                    if item_op is c.LITERAL:
                        out.append(char(item))
                    elif item_op is c.RANGE:
                        out.append(f"{char(item[0])}-{char(item[1])}")
                    elif item_op is c.CATEGORY and item in categories:
                        out.append(categories[item])
                    else:  # a negated class or category: anything may come first
                        raise _Unlistable
                return out, False
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # zero-width: the next item decides
                continue
            if op is c.SUBPATTERN:
                _, add_flags, _, sub = av
                if add_flags & re.IGNORECASE:
                    raise _Unlistable
                found, empty = first(sub.data)
            elif op is c.ATOMIC_GROUP:
                found, empty = first(av.data)
            elif op is c.BRANCH:
                found, empty = [], False
                for alternative in av[1]:
                    alt_found, alt_empty = first(alternative.data)
                    found += alt_found
                    empty = empty or alt_empty
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                low, _, sub = av
                found, empty = first(sub.data)
                empty = empty or low == 0
            else:  # ., back-references, conditionals: not listable
                raise _Unlistable
            out += found
            if not empty:
                return out, False
        return out, True

    if _opens_with_literal_or_class(parsed.data, c):
        return None
    try:
        found, empty = first(parsed.data)
    except _Unlistable:
        return None
    if empty or not found:
        return None
    return "[" + "".join(dict.fromkeys(found)) + "]"


def _opens_with_literal_or_class(items, c) -> bool:
    """Does `re` already jump to candidate positions by itself (a literal or class prefix)?"""
    while items:
        op, av = items[0]
        if op is c.SUBPATTERN and not av[1] and not av[2]:
            items = av[3].data
            continue
        if op in (c.LITERAL, c.IN):
            return True
        return op is c.BRANCH and all(alt.data and alt.data[0][0] is c.LITERAL for alt in av[1])
    return False


def _case_sensitive_parse(pattern: str, flags: int = 0):
    """re's own parse of `pattern` (CPython 3.11+), or None where the requirement readers cannot use it: an
    older re, or a case-insensitive pattern (a literal then stands for more than one character)."""
    try:
        from re import _parser
    except ImportError:  # pragma: no cover
        return None
    if flags & re.IGNORECASE:
        return None
    parsed = _parser.parse(pattern, flags)
    return None if parsed.state.flags & re.IGNORECASE else parsed


def required_chars(pattern: str, flags: int = 0) -> tuple[frozenset, ...]:
    """Sets of characters a text must hold one of (each set) for `pattern` to match anywhere in it, from re's
    own parse: the literals and plain classes every match goes through. A text missing one set cannot match,
    and a rule can skip it without a scan. Conservative: what cannot be listed (\\d, ranges, negated classes,
    case-insensitive literals, lookarounds) requires nothing, so () means "may match any text"."""
    return _required(pattern, flags, literal_runs=False)


def required_words(pattern: str, flags: int = 0) -> tuple[frozenset, ...]:
    """`required_chars` with runs of literals kept whole: sets of strings a text must hold one of (each set) for
    `pattern` to match anywhere in it (下一步|今后 needs 下一步 or 今后, where its characters are in most texts).
    Conservative as required_chars: () means "may match any text". `may_match` reads either."""
    return _required(pattern, flags, literal_runs=True)


def _required(pattern: str, flags: int, literal_runs: bool) -> tuple[frozenset, ...]:
    parsed = _case_sensitive_parse(pattern, flags)
    if parsed is None:
        return ()
    from re import _constants as c

    def of_sequence(items) -> list[frozenset]:
        out: list[frozenset] = []
        run = ""  # consecutive literals of this sequence: every match holds them as one string
        for op, av in items:
            if op is c.LITERAL:
                if literal_runs:
                    run += chr(av)
                else:
                    out.append(frozenset(chr(av)))
                continue
            if run:
                out.append(frozenset((run,)))
                run = ""
            if op is c.IN:
                if all(item_op is c.LITERAL for item_op, _ in av):
                    out.append(frozenset(chr(item) for _, item in av))
            elif op is c.SUBPATTERN:
                if not av[1] & re.IGNORECASE:
                    out += of_sequence(av[3].data)
            elif op is c.ATOMIC_GROUP:
                out += of_sequence(av.data)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                if av[0] >= 1:
                    out += of_sequence(av[2].data)
            elif op is c.BRANCH:  # one set per alternative (its fewest, longest strings): their union is required
                union: set = set()
                for alternative in av[1]:
                    needs = of_sequence(alternative.data)
                    if not needs:
                        break  # an alternative that needs nothing: the branch needs nothing
                    union |= min(needs, key=lambda ws: (len(ws), -min(map(len, ws))))
                else:
                    # a text holding a word holds every word inside it: 公司 stands for 有限公司 too (fewer scans)
                    out.append(frozenset(w for w in union if not any(o != w and o in w for o in union)))
        if run:
            out.append(frozenset((run,)))
        return out

    return tuple(dict.fromkeys(of_sequence(parsed.data)))


def cheapest_first(required: tuple[frozenset, ...]) -> tuple[frozenset, ...]:
    """The same requirement sets, those of single characters first (an `in` for one character is a memchr; one for
    a word costs several times more), then the smaller: may_match stops at the first set the text lacks."""
    return tuple(sorted(required, key=lambda ws: (max(map(len, ws), default=0), len(ws))))


def may_match(required: tuple[frozenset, ...], text: str) -> bool:
    """Can a pattern with these `required_chars` (or `required_words`) match somewhere in `text`? (One `in` per
    character or word: a C scan.) `all(any(ch in text for ch in r) for r in required)`, written as plain loops:
    the two generators cost more than the scans (a text is asked ~20 times, before any rule runs)."""
    for r in required:
        for ch in r:
            if ch in text:
                break
        else:
            return False
    return True


def line_start_matches(pattern: re.Pattern):
    """For a multi-line pattern that opens with ^ (and has no top-level |): a function giving (start, match) of
    each of its matches in a text, as `((m.start(), m) for m in pattern.finditer(text))` does, from a match at 0
    and a scan of the same pattern behind a literal \\n. re tries a ^ at every position of a text; a pattern that
    opens with a literal it jumps to in one step. The same matches when none can hold a \\n past its start (each
    then lies in its line, and the next starts on a later one); their groups and spans are the same, the \\n
    read by the scan aside. None when the pattern is not of that form."""
    try:
        from re import _constants as c, _parser  # CPython 3.11+
    except ImportError:  # pragma: no cover
        return None
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    # a top-level | parses as one branch item (^a|b: data[0] is no AT), and the ^ then anchors one alternative only
    if not (pattern.flags & re.MULTILINE and pattern.pattern.startswith("^") and parsed.data
            and parsed.data[0] == (c.AT, c.AT_BEGINNING)):
        return None
    after_newline = re.compile("\n(?:" + pattern.pattern[1:] + ")", pattern.flags)

    def matches(text: str):
        m = pattern.match(text)
        if m:
            yield 0, m
        for m in after_newline.finditer(text):
            yield m.start() + 1, m

    return matches


class PrunedAlternation:
    """An alternation of patterns (`|`, in order), compiled per text from only the branches the text holds the
    required characters of. A left-out branch fails at every position of that text, so the matches are the
    alternation's own; the text skips the branches it cannot match (most texts hold no 〔, 《 or ·)."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)
        self.required = tuple(required_chars(p) for p in self.patterns)
        self.full = compile_guarded("|".join(f"(?:{p})" for p in self.patterns))
        self._compiled: dict[tuple[int, ...], re.Pattern | None] = {}
        self._scans: dict[tuple[int, ...], object] = {}

    def _kept(self, text: str) -> tuple[int, ...]:
        return tuple(i for i, req in enumerate(self.required) if may_match(req, text))

    def for_text(self, text: str) -> re.Pattern | None:
        """The alternation of the branches `text` can match; None when it can match none of them."""
        kept = self._kept(text)
        rx = self._compiled.get(kept, False)
        if rx is False:
            rx = compile_guarded("|".join(f"(?:{self.patterns[i]})" for i in kept)) if kept else None
            if len(self._compiled) < 256:  # a handful of combinations occur: bounded anyway
                self._compiled[kept] = rx
        return rx

    def finditer_for(self, text: str):
        """`for_text(text).finditer` as first_char_finditer scans it; None when the text can match no branch."""
        kept = self._kept(text)
        scan = self._scans.get(kept, False)
        if scan is False:
            scan = first_char_finditer("|".join(f"(?:{self.patterns[i]})" for i in kept)) if kept else None
            if len(self._scans) < 256:
                self._scans[kept] = scan
        return scan
