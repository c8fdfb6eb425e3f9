"""Fuzz the extractor: N seeded generated inputs through extraction.engine.extract_figures, one at a time.

    nice .venv/bin/python -m bench.fuzz [--inputs 100000] [--seed 15] [--out bench/results.md]

Each input is a random sequence of fragments that real documents are made of (region names, metric words,
numbers of any length, Chinese numerals, units, dates, ranges, ratios, punctuation, line breaks) plus
stretches of one repeated fragment (the shape of the pathological inputs of issue 15). Reported: inputs
that raised (type, message, where), figures with a non-finite value, the slowest inputs, and how many
took over the per-input limit (2 s of CPU time: the machine is shared, so wall time is not the input's). Not part of `make test`; the figures go into the "Fuzz" section of
bench/results.md (replaced on every run; `make bench` rewrites the rest of that file).
"""
from __future__ import annotations

import argparse
import math
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT_S = 2.0
SECTION_START, SECTION_END = "<!-- fuzz:start -->", "<!-- fuzz:end -->"

REGIONS = ["海门市", "长沙市", "如东县", "台州市黄岩区", "浙江省", "启东市", "北京市", "鼓楼区"]
METRICS = ["地区生产总值", "一般公共预算收入", "合格率", "增长", "第二产业增加值", "户籍人口", "名牌产品",
           "地方标准", "同比下降", "达到", "突破", "超过", "约", "以上", "分别", "其中", "全省第", "排名"]
UNITS = ["亿元", "万元", "元", "万", "亿", "%", "‰", "个", "家", "项", "件", "名", "次", "位", "万人", "件/万人",
         "个百分点", "倍", "吨", "平方公里", ""]
CN_DIGITS = "零一二两三四五六七八九十百千万亿"
PUNCT = ["。", ",", ",", "、", ";", ":", "!", "?", "\n", "\n\n", " ", "(", ")", "《", "》", "|", "·", "-", "至", "~"]
CONTEXT = ["2020年", "上半年", "今年", "去年", "2015至2017年", "到2025年", "下一步", "主要目标", "〔2012〕54号",
           "2020-07-20", "10:30", "电话:0513-12345678", "3·15", "之一", "上一篇", "...", "PM2.5", "GB18030"]


def _number(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.55:
        digits = str(rng.randint(0, 10 ** rng.randint(1, 6)))
        return digits + (f".{rng.randint(0, 99)}" if rng.random() < 0.3 else "")
    if kind < 0.65:  # long and very long digit runs: beyond a double at 309+ digits
        return "".join(rng.choice("0123456789") for _ in range(rng.choice([20, 50, 200, 310, 400, 800])))
    if kind < 0.75:
        return f"{rng.randint(1, 999):,}".replace(",", ",") + f",{rng.randint(100, 999)}"
    if kind < 0.85:
        return f"{rng.randint(1, 99)}:{rng.randint(1, 99)}" + (f":{rng.randint(1, 99)}" if rng.random() < 0.5 else "")
    if kind < 0.93:
        return f"{rng.randint(1, 99)}-{rng.randint(1, 999)}"
    return "".join(rng.choice(CN_DIGITS) for _ in range(rng.randint(1, 30)))


def _fragment(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.35:
        return _number(rng) + rng.choice(UNITS)
    if pick < 0.55:
        return rng.choice(METRICS)
    if pick < 0.65:
        return rng.choice(REGIONS)
    if pick < 0.75:
        return rng.choice(CONTEXT)
    if pick < 0.97:
        return rng.choice(PUNCT)
    return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 8)))  # any characters


def generate(rng: random.Random) -> str:
    parts = [_fragment(rng) for _ in range(rng.randint(1, 60))]
    if rng.random() < 0.01:  # a stretch of one repeated fragment, up to 10,000 characters
        unit = _fragment(rng) or "1"
        parts.insert(rng.randrange(len(parts) + 1), unit * max(1, rng.randint(100, 10_000) // len(unit)))
    return "".join(parts)


@dataclass
class FuzzResult:
    inputs: int = 0
    characters: int = 0
    figures: int = 0
    seconds: float = 0.0
    exceptions: list[tuple[str, str]] = field(default_factory=list)  # (reason, input prefix)
    non_finite: list[tuple[float, str]] = field(default_factory=list)
    over_limit: int = 0
    slowest: list[tuple[float, int, str]] = field(default_factory=list)  # (seconds, length, input prefix)


def run(inputs: int, seed: int, progress=None) -> FuzzResult:
    from extraction.batch import error_reason
    from extraction.engine import extract_figures
    from extraction.models import Document

    rng = random.Random(seed)
    result = FuzzResult()
    extract_figures(Document("warm-up.txt", "海门市2020年地区生产总值410亿元。"))  # loads the lexicons: not an input's time
    started = time.perf_counter()
    for i in range(inputs):
        text = generate(rng)
        result.inputs += 1
        result.characters += len(text)
        t = time.process_time()  # CPU time: on this shared machine, wall time mostly measures the neighbours
        try:
            figures = extract_figures(Document(f"fuzz_{i}.txt", text))
        except Exception as exc:
            figures = []
            result.exceptions.append((error_reason(exc), text[:80]))
        elapsed = time.process_time() - t
        result.figures += len(figures)
        for f in figures:
            for value in (f.value, f.value_max, f.value_canonical):
                if value is not None and not math.isfinite(value):
                    result.non_finite.append((value, text[:80]))
        result.over_limit += elapsed > LIMIT_S
        result.slowest = sorted(result.slowest + [(elapsed, len(text), text[:60])], reverse=True)[:5]
        if progress and (i + 1) % 10_000 == 0:
            progress(f"{i + 1}/{inputs} inputs, {len(result.exceptions)} exceptions, "
                     f"{len(result.non_finite)} non-finite, slowest {result.slowest[0][0]:.2f}s")
    result.seconds = time.perf_counter() - started
    return result


def markdown(result: FuzzResult, seed: int) -> str:
    def shown(text: str) -> str:
        return "`" + re.sub(r"\s", " ", text).replace("`", "'") + "`"

    lines = [
        SECTION_START,
        "## Fuzz",
        "",
        f"`nice .venv/bin/python -m bench.fuzz --inputs {result.inputs} --seed {seed}`, run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {result.inputs:,} generated inputs "
        f"({result.characters:,} characters, {result.figures:,} figures) in {result.seconds:.0f} s.",
        "",
        f"- exceptions: {len(result.exceptions)}",
        f"- non-finite values: {len(result.non_finite)}",
        f"- inputs over {LIMIT_S:g} s of CPU: {result.over_limit}",
        "- slowest (CPU): " + "; ".join(f"{s:.2f} s ({n:,} characters, {shown(t)}…)" for s, n, t in result.slowest[:3]),
    ]
    lines += [f"- exception: {reason} on {shown(text)}" for reason, text in result.exceptions[:5]]
    lines += [SECTION_END, ""]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION_START in text and SECTION_END in text:
        before, rest = text.split(SECTION_START, 1)
        after = rest.split(SECTION_END, 1)[1].lstrip("\n")
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--inputs", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results.md", help="markdown file for the Fuzz section")
    args = p.parse_args(argv)
    result = run(args.inputs, args.seed, lambda line: print(line, file=sys.stderr, flush=True))
    section = markdown(result, args.seed)
    write_section(args.out, section)
    print(section)
    return 1 if result.exceptions or result.non_finite or result.over_limit else 0


if __name__ == "__main__":
    sys.exit(main())
