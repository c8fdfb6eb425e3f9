"""Tests of extraction/regions.py: the document-region resolver and its gazetteer.

Part 1 is a table of rules (one snippet per rule). Part 2 runs the resolver on every document
of the shared seed/dev/series corpora and compares it with the gold region of that document
(the region most of its gold rows carry), read from the gold CSVs at test time.
"""
from __future__ import annotations

import collections
import csv
import subprocess
import sys
from pathlib import Path

import pytest

from extraction.regions import (
    RegionInfo,
    gazetteer_rows,
    lookup,
    normalize_text,
    resolve_document_region,
    wider_region,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


# --- 1. rules ----------------------------------------------------------------------------------
# (rule, text, title, url, expected region_zh or None, expected parent or None)
RESOLVE_CASES = [
    (
        "title wins over other cities in the body",
        "日前，记者从市质量技术监督局获悉，我市被正式命名为“全国质量强市示范城市”。"
        "同时获得命名的还有武汉市、绍兴市。",
        "秦皇岛市被正式命名为“全国质量强市示范城市”",
        "",
        "秦皇岛市",
        "河北省",
    ),
    (
        "without a title, cities in an enumeration (还有武汉市、绍兴市) do not beat the city the text is about",
        "(记者李妍)日前,记者从市质量技术监督局获悉,我市被正式命名为“全国质量强市示范城市”,成为我省首个获此殊荣的城市。"
        "同时获得命名的还有武汉市、绍兴市。据了解,目前我市拥有中国质量奖提名奖1项,河北省名优产品123项,"
        "“秦皇岛制造”的竞争力和品牌价值不断提升。",
        "",
        "",
        "秦皇岛市",
        "河北省",
    ),
    (
        "bare short name in the title resolves to the full name",
        "6月28日，论坛发布了全省地理标志产品产值排行情况，我市地理标志产品产值达180亿元，居全省第一位。",
        "又是NO.1,潍坊这项产值180亿元",
        "",
        "潍坊市",
        "山东省",
    ),
    (
        "bare short county name, corroborated by its city, takes the name in force in the text's years",
        "海门阔步迈向全国质量强市示范市\n2013年上半年，海门完成地区生产总值410亿元，全市经济发展和民生幸福共提速，"
        "在南通各县市中名列前茅。",
        "",
        "",
        "海门市",
        "南通市",
    ),
    (
        "self-reference 全市 after a named city; headline as title when the manifest has none",
        "泰州:让城市更美好\n近年来，泰州市以“品质泰州”建设为抓手，致力推进全市经济社会高质量发展。",
        "",
        "",
        "泰州市",
        "江苏省",
    ),
    (
        "Traditional script with pinyin glosses",
        "今年浙(zhè)江(jiāng)省臺(tái)州(zhōu)市黃(huáng)巖(yán)區(qū)上半年省級產品質量監督抽查，"
        "共抽查全區111家企業，合格率居全市第二。",
        "",
        "",
        "黄岩区",
        "台州市",
    ),
    (
        "Traditional script without glosses",
        "長沙市統計局\n2019年4月9日\n2018年，長沙全面貫徹落實新發展理念，全市經濟社會保持了高質量發展良好勢頭。",
        "",
        "",
        "长沙市",
        "湖南省",
    ),
    (
        "a document about a whole province resolves to the province",
        "到2015年,广东主要农产品质量安全监测合格率要保持在96%以上。省政府近日发布了意见，"
        "提出到2015年,广东年主营业务超过1000亿元的名牌企业将达到10家。",
        "",
        "",
        "广东省",
        None,
    ),
    (
        "a provincial tally stays provincial despite a capital-city dateline and a county in the body",
        "央广网合肥3月2日消息 记者从安徽省质监局获悉，去年，安徽省新增185个安徽名牌，"
        "名牌总数已达1353个。无为县全国电线电缆知名品牌示范区已申请验收。",
        "“安徽名牌”新增185个 总数1353个位居中部第一",
        "",
        "安徽省",
        None,
    ),
    (
        "a county article quoting its city and province as benchmarks stays with the county",
        "据国家统计局黄山调查队日前发布的数据显示:上半年歙县城镇常住居民人均可支配收入19017元,"
        "比全市低2568元(全市为21585元),比全省低5121元(全省为24138元)。",
        "上半年歙县城乡居民人均可支配收入平稳增长",
        "",
        "歙县",
        "黄山市",
    ),
    (
        "a district named with its province and city resolves to the most specific level",
        "(陕西省)2017年汉中市人民政府工作报告\n汉中市代市长 各位代表：现在，我代表市人民政府向大会作工作报告。",
        "(陕西省)2017年汉中市人民政府工作报告(全文)",
        "",
        "汉中市",
        "陕西省",
    ),
    (
        "a city's product names from one of its counties do not make the county the region",
        "张家界新闻网2月21日讯 近日，“慈利陈皮”“慈利厚朴”“慈利黄柏”和“慈利五倍子”4件地理标志证明商标核准注册。"
        "截至目前，张家界市拥有地理标志证明商标15件，全市累计拥有注册商标13774件。",
        "",
        "",
        "张家界市",
        "湖南省",
    ),
    (
        "an ambiguous district name takes the reading whose city is mentioned",
        "深圳新闻网1月24日讯 龙华区第一届人民代表大会第二次会议在龙华会堂开幕，区长作政府工作报告。",
        "龙华区第一届人民代表大会第二次会议开幕",
        "",
        "龙华区",
        "深圳市",
    ),
    (
        "the same district name elsewhere",
        "海口市龙华区召开全区质量工作会议，全区规模以上工业产值增长8%。",
        "",
        "",
        "龙华区",
        "海口市",
    ),
    (
        "company names and rivers are not regions: 长江 in a company name",
        "近日，2022年度温州市市长质量奖获奖名单公布，长江汽车等5家企业上榜。"
        "温州长江汽车电子有限公司从事汽车电子电器开关等产品的研发。全市已累计产生46家市长质量奖企业。",
        "2022年度市长质量奖揭晓万控智造等5家企业上榜",
        "",
        "温州市",
        "浙江省",
    ),
    (
        "words that contain a place name by accident (振兴, 新兴, 公安) do not count",
        "坚持质量强区战略 当好汕头振兴发展排头兵\n近年来，金平区委区政府牢固树立质量第一的意识，"
        "新兴产业快速发展，公安、市场监管部门联合执法，全区质量工作成效明显。",
        "",
        "",
        "金平区",
        "汕头市",
    ),
    (
        "a city's bulletin reporting on several of its districts stays with the city",
        "2020年珠海市国民经济和社会发展统计公报\n全市实现地区生产总值3481亿元。香洲区实现地区生产总值2000亿元，"
        "香洲区工业增长5%；金湾区实现地区生产总值800亿元，金湾区工业增长8%；斗门区实现地区生产总值400亿元，"
        "斗门区增长2%。",
        "",
        "",
        "珠海市",
        "广东省",
    ),
    (
        "the venue of an event is not the region (在济南举办)",
        "6月28日，中法地理标志保护与发展论坛在济南举办，潍坊市地理标志产品产值达180亿元，居全省第一位。",
        "",
        "",
        "潍坊市",
        "山东省",
    ),
    (
        "a venue alone gives no region",
        "国家市场监管总局在北京召开全国质量工作会议，中国质量奖评选结果公布。",
        "",
        "",
        None,
        None,
    ),
    (
        "URL fallback when the text names no region",
        "日前，市市场监管局举行新闻发布会，首次对外发布标准化工作白皮书，我市参与制修订国家标准2176项。",
        "",
        "https://difang.example.com/xiamen/2022-10/25/content_36113104.htm",
        "厦门市",
        "福建省",
    ),
    (
        "URL fallback with a county suffix",
        "2010年我县省、市、县三级监督抽查共抽查了全县51种共828批次产品。",
        "",
        "http://example.com/a/cangnanxian/20210530/133379.html",
        "苍南县",
        "温州市",
    ),
    (
        "no region at all",
        "全国质量工作会议召开，中国质量奖评选结果公布，长江经济带和黄河流域的企业表现突出。",
        "质量工作会议召开",
        "http://example.com/news/123.html",
        None,
        None,
    ),
    (
        "empty input",
        "",
        "",
        "",
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    "rule,text,title,url,expected,parent", RESOLVE_CASES, ids=[c[0] for c in RESOLVE_CASES]
)
def test_resolve_rules(rule, text, title, url, expected, parent):
    got = resolve_document_region(text, title, url)
    if expected is None:
        assert got is None, rule
        return
    assert got is not None, rule
    assert got.name == expected, rule
    assert got.parent == parent, rule


def _region(name: str, parent: str | None) -> RegionInfo:
    for row in gazetteer_rows():
        if row["region_zh"] == name and row["parent"] == parent:
            return RegionInfo(name, row["level"], row["parent"], row["province"], row["code"])
    raise AssertionError(f"{name} under {parent} not in the gazetteer")


# (doc region name, its parent, scope word, expected region_zh or None)
WIDER_CASES = [
    ("歙县", "黄山市", "全市", "黄山市"),
    ("歙县", "黄山市", "全省", "安徽省"),
    ("歙县", "黄山市", "全县", "歙县"),
    ("黄岩区", "台州市", "全市", "台州市"),
    ("黄岩区", "台州市", "全區", "黄岩区"),  # Traditional scope word
    ("厦门市", "福建省", "全市", "厦门市"),  # a prefecture document: 全市 is itself
    ("厦门市", "福建省", "全省", "福建省"),
    ("海门市", "南通市", "全市", "海门市"),  # a county-level city is itself a 市
    ("海门市", "南通市", "全省", "江苏省"),
    ("广东省", None, "全省", "广东省"),
    ("龙华区", "深圳市", "全市", "深圳市"),
    ("龙华区", "海口市", "全市", "海口市"),
    ("巴彦淖尔市", "内蒙古自治区", "全区", "内蒙古自治区"),
    ("歙县", "黄山市", "全国", None),
    ("厦门市", "福建省", "全县", None),
]


@pytest.mark.parametrize("name,parent,scope,expected", WIDER_CASES)
def test_wider_region(name, parent, scope, expected):
    got = wider_region(_region(name, parent), scope)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got.name == expected


# (query, expected name, level, parent, province)
LOOKUP_CASES = [
    ("海门市", "海门市", "county", "南通市", "江苏省"),  # former name (海门区 since 2020) is kept
    ("海门区", "海门区", "district", "南通市", "江苏省"),
    ("金平區", "金平区", "district", "汕头市", "广东省"),  # Traditional input
    ("潍坊", "潍坊市", "prefecture", "山东省", "山东省"),  # short name
    ("歙县", "歙县", "county", "黄山市", "安徽省"),
    ("巴彥淖爾", "巴彦淖尔市", "prefecture", "内蒙古自治区", "内蒙古自治区"),
    ("安徽", "安徽省", "province", None, "安徽省"),
    ("北京市", "北京市", "province", None, "北京市"),
    ("朝阳区", "朝阳区", "district", "北京市", "北京市"),
    ("龙华区", "龙华区", "district", "深圳市", "广东省"),  # same name in 海口: lowest code by default
    ("襄樊市", "襄樊市", "prefecture", "湖北省", "湖北省"),  # former name of 襄阳市
]


@pytest.mark.parametrize("query,name,level,parent,province", LOOKUP_CASES)
def test_lookup(query, name, level, parent, province):
    got = lookup(query)
    assert got is not None
    assert (got.name, got.level, got.parent, got.province) == (name, level, parent, province)


@pytest.mark.parametrize(
    "query,year,name",
    [("海门", None, "海门区"), ("海门", 2013, "海门市"), ("海门", 2021, "海门区"), ("襄阳", 2005, "襄樊市")],
)
def test_lookup_name_in_force(query, year, name):
    assert lookup(query, year=year).name == name


@pytest.mark.parametrize("query", ["中国", "全国", "长江", "黄河", "质量强市", ""])
def test_lookup_none(query):
    assert lookup(query) is None


def test_normalize_text_strips_pinyin_and_converts():
    assert normalize_text("質(zhì)量強(qiáng)區(qū)") == "质量强区"


def test_gazetteer_rows_shape():
    rows = gazetteer_rows()
    assert len(rows) > 3000
    assert all(set(r) == {"region_zh", "level", "parent", "province", "code"} for r in rows)
    assert {r["level"] for r in rows} == {"country", "province", "prefecture", "county", "district"}
    assert rows[0]["region_zh"] == "全国" and rows[0]["level"] == "country"  # the region of 我国… documents
    provinces = [r for r in rows if r["level"] == "province"]
    assert len(provinces) == 31  # mainland provinces, autonomous regions and municipalities
    keys = [(r["region_zh"], r["parent"]) for r in rows]
    assert len(keys) == len(set(keys)), "(region_zh, parent) identifies a division"
    seen = set()
    for r in rows:  # parents come before their children
        assert r["parent"] is None or r["parent"] in seen
        assert r["province"] in seen or r["province"] == r["region_zh"] or r["level"] == "country"
        seen.add(r["region_zh"])
    # the first row of a shared name is the reading lookup() gives
    first = {}
    for r in rows:
        first.setdefault(r["region_zh"], r)
    for name in ("龙华区", "朝阳区", "鼓楼区", "海门市"):
        got = lookup(name)
        assert (first[name]["parent"], first[name]["code"]) == (got.parent, got.code)
    unique = gazetteer_rows(unique_names=True)
    assert len({r["region_zh"] for r in unique}) == len(unique) == len(first)
    assert [r for r in rows if r in unique] == unique


def test_lexicon_file_is_up_to_date(tmp_path):
    """regions.tsv is what build_regions.py makes from the installed jionlp and the hand files."""
    pytest.importorskip("jionlp")
    out = tmp_path / "regions.tsv"
    build = REPO / "extraction" / "lexicon" / "build_regions.py"
    subprocess.run([sys.executable, str(build), str(out)], cwd=REPO, capture_output=True, check=True)
    committed = (REPO / "extraction" / "lexicon" / "regions.tsv").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run extraction/lexicon/build_regions.py"


# --- 2. the shared corpora against the gold files -----------------------------------------------
CORPORA = [("seed", "seed_gold.csv"), ("dev", "dev_gold.csv"), ("series", "series_gold.csv")]


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8", "gb18030", "big5hkscs"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _corpus_cases():
    if not (SHARED / "gold").is_dir():
        return []
    cases = []
    for sub, gold in CORPORA:
        gold_path = SHARED / "gold" / gold
        if not gold_path.exists():
            continue
        manifest = {}
        index = SHARED / "corpus" / sub / "index.csv"
        if index.exists():
            with open(index, encoding="utf-8", newline="") as f:
                manifest = {r["file"]: r for r in csv.DictReader(f)}
        regions: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        with open(gold_path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                regions[r["doc"]][r["region_zh"]] += 1
        for doc, counts in sorted(regions.items()):
            # the document's region is the one most of its rows carry (d08: 歙县, not its benchmarks)
            expected = counts.most_common(1)[0][0]
            cases.append(pytest.param(sub, doc, manifest.get(doc, {}), expected, counts, id=f"{sub}/{doc}"))
    return cases


CORPUS_CASES = _corpus_cases()


@pytest.mark.skipif(not CORPUS_CASES, reason="shared corpus/gold not found beside the repo")
@pytest.mark.parametrize("sub,doc,meta,expected,counts", CORPUS_CASES)
def test_corpus_document_region(sub, doc, meta, expected, counts):
    text = _read_text(SHARED / "corpus" / sub / doc)
    got = resolve_document_region(text, meta.get("title", ""), meta.get("url", ""))
    assert got is not None and got.name == expected
    # every region in the gold file is a division of the gazetteer, and the wider ones are
    # reachable from the document's region with the scope words
    for name in counts:
        assert lookup(name) is not None, name
        if name != expected:
            wider = [wider_region(got, w) for w in ("全市", "全省")]
            assert name in {w.name for w in wider if w}, name
