"""Build ``regions.tsv``: the gazetteer of Chinese administrative divisions used by
``extraction/regions.py`` and by the warehouse's ``dim_region`` table.

Source: the administrative-division dictionary shipped inside the ``jionlp`` package
(jionlp 1.5.31, Apache-2.0; ``jionlp/dictionary/china_location.txt``, derived from the
National Bureau of Statistics 统计用区划代码, and ``china_location_change.txt``, the
renamings/abolitions of county-level and higher divisions approved since 2018 plus a few
earlier ones). Pinyin for URL matching comes from ``jionlp.pinyin``; the list of ordinary
words used to mark ambiguous short names comes from ``jionlp/dictionary/chinese_word_dictionary.txt``.
Extra rows live in ``regions_supplement.tsv`` and ambiguous aliases in ``regions_weak.tsv``
(both hand-maintained data files next to this script).

Run:  .venv/bin/python extraction/lexicon/build_regions.py [OUT]
Without OUT it rewrites ``extraction/lexicon/regions.tsv``; commit the result. Loading the TSV at run time
takes a few milliseconds, importing jionlp takes seconds, so the extractor never imports jionlp.

Output columns (tab-separated, one row per division, header first):
  id          code for current divisions; ``F:<name>@<parent id>`` for former names
  region_zh   full name, Simplified
  level       province | prefecture | county | district
  parent_id   id of the parent ('' for provinces)
  parent      parent's name ('' for provinces)
  province    the province-level division it lies in (itself for provinces)
  code        the 6-digit division code ('' when unknown, e.g. former names)
  status      current | former
  successor   id of the current division a former name now belongs to ('' otherwise)
  changed     date of the change for former names ('' otherwise)
  aliases     ``alias:strength`` items joined by '|': strength s (reliable), m (short name,
              trusted in a title/lead or when corroborated), w (ambiguous/common word; only when
              corroborated by a related division)
  pinyin      toneless pinyin of the short name (for URL fallback), '' for former names
"""
from __future__ import annotations

import csv
import importlib.util
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "regions.tsv"
SUPPLEMENT = HERE / "regions_supplement.tsv"
WEAK = HERE / "regions_weak.tsv"

# Statistical-only zones (经济技术开发区, 高新区 ... codes xxxx7x) and placeholders are not divisions.
PLACEHOLDERS = {"市直辖行政区划", "省直辖行政区划", "县", "市辖区"}
EXCLUDED_PROVINCE_PREFIXES = ("71", "81", "82")  # Taiwan, Hong Kong, Macau: not in the corpus' scope


def jionlp_dir() -> Path:
    spec = importlib.util.find_spec("jionlp")  # locate without importing (import is slow)
    if spec is None or not spec.submodule_search_locations:
        sys.exit("jionlp is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def county_level(name: str) -> str:
    if name.endswith("区") and not name.endswith(("林区", "特区")):
        return "district"
    return "county"


def read_hand_file(path: Path) -> list[list[str]]:
    rows = []
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append([c.strip() for c in line.split("\t")])
    return rows


def main(out_path: Path = OUT) -> None:
    jdir = jionlp_dir()
    words = {
        line.split("\t", 1)[0]
        for line in (jdir / "dictionary" / "chinese_word_dictionary.txt").read_text(encoding="utf-8").splitlines()
    }
    weak_manual = {r[0] for r in read_hand_file(WEAK)}

    import jionlp  # noqa: E402  (only for pinyin, build time only)

    def pinyin(s: str) -> str:
        try:
            py = jionlp.pinyin(s, formater="simple")
        except Exception:
            return ""
        return "".join(re.sub(r"[^a-z]", "", p) for p in py)

    rows: dict[str, dict] = {}
    order: list[str] = []

    def add(row: dict) -> None:
        if row["id"] in rows:
            return
        rows[row["id"]] = row
        order.append(row["id"])

    cur_prov = cur_pref = None  # ids
    lines = (jdir / "dictionary" / "china_location.txt").read_text(encoding="utf-8").splitlines()
    for raw in lines:
        raw = raw.rstrip("\r\n")
        depth = len(raw) - len(raw.lstrip("\t"))
        if depth > 2:
            continue
        parts = raw.strip().split("\t")
        if len(parts) != 3:
            continue
        name, code, short = parts
        if depth == 0:
            if code.startswith(EXCLUDED_PROVINCE_PREFIXES):
                cur_prov = None
                continue
            cur_prov = code
            cur_pref = None
            add(dict(id=code, region_zh=name, level="province", parent_id="", code=code,
                     shorts=short.split("/")))
            continue
        if cur_prov is None:
            continue
        prov = rows[cur_prov]
        if depth == 1:
            if name in PLACEHOLDERS or name == prov["region_zh"] or code == prov["code"]:
                # 省直辖行政区划, or the duplicate 北京市 node of a municipality: attach children to the province
                cur_pref = cur_prov
                continue
            cur_pref = code
            add(dict(id=code, region_zh=name, level="prefecture", parent_id=cur_prov, code=code,
                     shorts=short.split("/")))
            continue
        # depth 2: county level
        if name in PLACEHOLDERS or code[4] == "7" or cur_pref is None:
            continue
        if name.endswith(("开发区", "高新区", "行政委员会")) or "岛礁" in name:  # zones, not divisions
            continue
        add(dict(id=code, region_zh=name, level=county_level(name), parent_id=cur_pref, code=code,
                 shorts=short.split("/")))

    # Former names from the change list (renamings such as 海门市 => 海门区, 襄樊市 => 襄阳市).
    by_name: dict[str, list[str]] = {}
    for rid in order:
        by_name.setdefault(rows[rid]["region_zh"], []).append(rid)

    def find(name: str, parent_name: str | None) -> str | None:
        for rid in by_name.get(name, []):
            r = rows[rid]
            if parent_name is None or (r["parent_id"] and rows[r["parent_id"]]["region_zh"] == parent_name):
                return rid
        return None

    changes = (jdir / "dictionary" / "china_location_change.txt").read_text(encoding="utf-8").splitlines()
    for line in changes:
        line = line.rstrip("\r\n")
        if "=>" not in line:
            continue
        old, new = line.split("=>")
        old = old.split("\t")
        new = new.split("\t")
        date = old[0]
        old_names = old[2::2]  # province, city, [county]
        if len(old_names) != len(new):
            continue
        old_name, new_name = old_names[-1], new[-1]
        if old_name == new_name:
            continue
        succ = find(new_name, new[-2] if len(new) > 1 else None)
        if succ is None:
            continue
        s = rows[succ]
        stale = find(old_name, rows[s["parent_id"]]["region_zh"] if s["parent_id"] else None)
        if stale is not None and rows[stale].get("status", "current") == "current":
            # the package still lists the old division (湾里区, 澄江县) next to its successor
            rows[stale].update(status="former", successor=succ, changed=date)
            continue
        fid = f"F:{old_name}@{s['parent_id']}"
        add(dict(id=fid, region_zh=old_name, level=s["level"] if len(new) < 3 else county_level(old_name),
                 parent_id=s["parent_id"], code="", shorts=[], status="former", successor=succ, changed=date))

    # Hand supplement: divisions missing from the package (see the file for sources).
    for r in read_hand_file(SUPPLEMENT):
        name, level, parent_name, code, short = (r + [""] * 5)[:5]
        parent_id = ""
        if parent_name:
            parent_id = find(parent_name, None) or ""
            if not parent_id:
                sys.exit(f"supplement: unknown parent {parent_name!r} for {name!r}")
        rid = code or f"S:{name}@{parent_id}"
        if find(name, rows[parent_id]["region_zh"] if parent_id else None):
            continue  # already in the package data
        add(dict(id=rid, region_zh=name, level=level, parent_id=parent_id, code=code,
                 shorts=[s for s in short.split("/") if s]))

    def province_of(rid: str) -> str:
        while rows[rid]["parent_id"]:
            rid = rows[rid]["parent_id"]
        return rows[rid]["region_zh"]

    def strength_full(r: dict) -> str:
        name = r["region_zh"]
        if name in weak_manual:
            return "w"
        if r["level"] in ("county", "district") and len(name) <= 2:
            return "w"  # 和县, 新县, 城区, 东区: single-character stems read as ordinary words
        return "s"

    def strength_short(r: dict, alias: str) -> str:
        if alias in weak_manual or len(alias) < 2:
            return "w"
        if r["level"] in ("province", "prefecture"):
            return "s"
        return "w" if alias in words else "m"

    out = []
    for rid in order:
        r = rows[rid]
        aliases: dict[str, str] = {r["region_zh"]: strength_full(r)}
        for s in r.get("shorts", []):
            if s and s not in aliases and s not in PLACEHOLDERS:
                aliases[s] = strength_short(r, s)
        name = r["region_zh"]
        stem = (r.get("shorts") or [""])[0]
        # common usages: 金平县 for 金平苗族瑶族傣族自治县, 湘西州 for 湘西土家族苗族自治州
        if stem and name.endswith("自治县") and len(stem) >= 2:
            aliases.setdefault(stem + "县", "s")
        if stem and name.endswith("自治州") and len(stem) >= 2:
            aliases.setdefault(stem + "州", "s")
        if stem and name.endswith("自治旗") and len(stem) >= 2:
            aliases.setdefault(stem + "旗", "s")
        parent = rows[r["parent_id"]]["region_zh"] if r["parent_id"] else ""
        status = r.get("status", "current")
        out.append({
            "id": rid, "region_zh": name, "level": r["level"], "parent_id": r["parent_id"],
            "parent": parent, "province": province_of(rid), "code": r["code"], "status": status,
            "successor": r.get("successor", ""), "changed": r.get("changed", ""),
            "aliases": "|".join(f"{a}:{s}" for a, s in aliases.items()),
            "pinyin": pinyin(stem or name) if status == "current" else "",
        })

    cols = ["id", "region_zh", "level", "parent_id", "parent", "province", "code", "status",
            "successor", "changed", "aliases", "pinyin"]
    tmp = out_path.with_name(out_path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(f"# generated by build_regions.py from jionlp {jionlp.__version__} data; do not edit by hand\n")
        w = csv.DictWriter(f, fieldnames=cols, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    os.replace(tmp, out_path)
    print(f"wrote {len(out)} rows to {out_path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
