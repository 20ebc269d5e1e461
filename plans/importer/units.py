"""The unit-role grammar of Chinese official writing: who leads (牵头) and who is
responsible (责任、配合、落实), from clauses, unit lines and sentence subjects."""

from __future__ import annotations

import re
from collections.abc import Callable

from plans.cn_dates import read_dues
from plans.glued_names import BUILD, glued_names
from plans.importer.model import Extraction
from plans.labels import STRONG_LABELS, UNIT_LABELS, marks_lead
from plans.text import UNIT_SUFFIX

UNIT_TOKEN = re.compile(
    rf"^[\u4e00-\u9fa5A-Za-z0-9()（）]{{1,40}}?{UNIT_SUFFIX}"
    r"(\([^)]{1,20}\)|（[^）]{1,20}）)?(等有关单位|等相关单位|等单位|等部门|等)?$"
)
ROLE_TAIL = re.compile(
    r"(牵头|负责|按职责分工落实|按职责分工负责|按职责落实|分别负责|配合|落实|参与|参加|"
    r"共同负责|具体负责|按职能职责落实|按职责|抓总|抓好|协助|协同|组织实施|组织落实|指导)$"
)
# a role's label: 牵头单位, 责任部门, 负责部门 (a State Council list), 协同责任单位
CLAUSE = re.compile(  # (责任单位;住建局、…): a semicolon typed for the colon
    rf"[(（〔\[【]\s*((?:{UNIT_LABELS})\s*[:：;；]"
    r"(?:[^()（）〔〕\[\]【】]|[(（][^()（）]{0,12}[)）])+?)"
    r"\s*[)）〕\]】]\s*[。;；]?\s*$"
)
# "…。牵头单位：市财政局；配合单位：各部门。" without brackets, closing the item
CLAUSE_OPEN = re.compile(
    rf"(?<=[。;；.])\s*((?:{UNIT_LABELS})\s*[:：][^。]+)[。.]?\s*$|"
    # "1、农村道路畅通工程，牵头部门：市交通局。…": the label after the item's name
    rf"^[^，,。；;]{{2,30}}[，,]\s*((?:{UNIT_LABELS})\s*[:：][^。，,；;]+)[。]"
)

# -- units -------------------------------------------------------------------------------

_ROLE_HEAD = re.compile(rf"^(由|请|各?(?:{UNIT_LABELS}))[:：]?")  # 由包片单位县气象局负责
# 和 / 及 between two names (区财政局和区税务局, 市级各有关部门及各县市区政府); 及其 is a
# name's own part (各旗区人民政府及其部门)
# a bare head after 和/、 shares the name's modifier (各级党委和政府, 县级以上人民政府及部门):
# it names no body alone
_BARE_HEAD = r"(?!(?:人民政府|政府|部门|单位)(?:$|[、，,;；和及])|机关(?:$|[、，,;；]))"
_UNIT_SPLIT = re.compile(
    rf"[，,;；]|、{_BARE_HEAD}|(?<=[局委办院会门府位心厅处室所站队镇街乡司行馆台社署组等联部关校])"
    rf"(?<!^机关)(?<![、，,]机关)"  # 机关和事业单位: 机关 alone is no body's name
    rf"(?:和|及(?!其)){_BARE_HEAD}|(?<=[)）])和(?=有关|相关|各|其他)"  # X（Y）和Z中心 is one
)
_BY_HEAD = re.compile(r"^(由|请)")
_LABEL_INSIDE = re.compile(rf"^[\u4e00-\u9fa5]{{0,12}}?(?:{STRONG_LABELS})(?=[\u4e00-\u9fa5]{{2}})")
_DUTY_TAIL = re.compile(r"(按职责分工落实|按职责分工|按职责)$")


PLACEHOLDER = re.compile(r"[/／\\—－\-–─━]+|无|暂无|空|略|不涉及")
_IN_BRACKETS = re.compile(r"[(（<＜〈][^()（）<>＜＞〈〉]{1,20}[)）>＞〉]")
_KEEP, _KEEP2 = "\u0001", "\u0002"


def split_units(text: str) -> list[str]:
    """``市发展改革局、自然资源局牵头`` → [市发展改革局, 自然资源局]; groups stay groups."""
    text = _ROLE_HEAD.sub("", text.strip())
    text = _INCLUDING.sub("", text)  # 各县、区人民政府(包括大亚湾开发区…,下同)
    # 民政部等有关部门和单位 is one name: its 和 parts no two
    text = _BOTH.sub(lambda m: m.group(0).replace("和", _AND), text)
    # 各县(市、区)政府 is one group: a 顿号 inside brackets does not part names
    guarded = _IN_BRACKETS.sub(
        lambda m: m.group(0).replace("、", _KEEP).replace("，", _KEEP2), text
    )
    parts = [
        p.replace(_KEEP, "、").replace(_KEEP2, "，").replace(_AND, "和")
        for p in _UNIT_SPLIT.split(guarded)
    ]
    out = []
    for p in parts:
        p = p.strip().strip("。.")
        while (q := ROLE_TAIL.sub("", p).strip()) != p:  # 牵头负责, 负责配合落实
            p = q
        p = _DUTY_TAIL.sub("", _BY_HEAD.sub("", p))
        p = _LABEL_INSIDE.sub("", p)  # 陈家坝沿线包片单位县职教中心: the name after the label
        # 区市场监管局等 → 区市场监管局; 人民银行等部门, 海关总署等部门和单位 → the name
        p = re.sub(
            r"(?<=[\u4e00-\u9fa5)）])等(?:(?:部门|单位|机构)(?:和(?:部门|单位|机构))?)?$", "", p
        )
        if p and not PLACEHOLDER.fullmatch(p):  # "—", "无", "/": an empty cell
            names = p.split()  # "安监站 安监所": names a cell parts by spaces alone
            if len(names) == 1 and len(p) >= 6 and "等" not in p:
                names = _glued_pair(p)  # 区经济发展局区行政审批局: by nothing at all
            out += names if len(names) > 1 and all(map(is_unit, names)) else [p]
    for k in range(len(out) - 1, 0, -1):  # 各县、区人民政府: 各县 shares the name after it
        if _LEVEL_ONLY.fullmatch(out[k - 1]) and _shares_head(out[k - 1], out[k]):
            out[k - 1 : k + 1] = [f"{out[k - 1]}、{out[k]}"]
    return out


# 各市、县人力资源社会保障局: each level's bureau of one kind (a group), not 各市 and a
# county's bureau; 市政府办公室 and 县直各部门 are units of their own
_LEVEL_BUREAU = re.compile(
    r"[省市县区旗](?:[(（][^)）]{1,6}[)）])?(?!政府|委|直)[^各、，,]{2,14}(?:局|委|厅|办|中心)"
)


def _shares_head(level: str, rest: str) -> bool:
    """Whether a level alone (各县) shares the name after it (区人民政府, 区财政局). A
    bureau is shared by levels going down or alike (各市、县教育局): in 各区、市水利局 the
    higher level names the issuer's own bureau."""
    if _LEVEL_HEAD.fullmatch(rest):
        return True
    down = _RANK.get(level[-1], 0) >= _RANK.get(rest[0], 9)
    return level.startswith("各") and down and bool(_LEVEL_BUREAU.fullmatch(rest))


_RANK = {"省": 4, "市": 3, "州": 3, "盟": 3, "区": 2, "县": 2, "旗": 2, "乡": 1, "镇": 1}


_BOTH = re.compile(r"(?:部门|单位|机构)和(?:部门|单位|机构)")
_AND = "\u0003"


def _glued_pair(text: str) -> list[str]:
    """Names of one level glued in a cell (区经济发展局区行政审批局): each begins with the
    level and the first ends as a body of its own does (局, 办, 中心), not as a government
    or a committee that names its own parts (县委县政府督查室, 市政府相关部门)."""
    names = glued_names(text)
    if len(names) < 2 or len({n[0] for n in names}) > 1 or names[0][0] not in "省市县区镇乡":
        return [text]
    if any(re.search(r"(政府|委|党委)$", n) for n in names[:-1]):
        return [text]
    return names


# an aside closing a name (各县、区人民政府(包括大亚湾开发区…,下同)), not one inside it
# (各市(含定州、辛集市)政府), and the short name it is given from here on
_INCLUDING = re.compile(
    r"[(（](?:包括|含|包含|下同)[^()（）]{0,60}[)）](?![\u4e00-\u9fa5])|"
    r"[(（][^()（）]{0,20}为牵头(?:单位|部门)[^()（）]{0,10}[)）]|"  # (首位单位为牵头单位，下同)
    r"[(（，,]?\s*以下(?:简称|统称)\s*[“\"][^”\"]{1,20}[”\"][)）]?"
)
_LEVEL_ONLY = re.compile(r"各?[省市县区乡镇旗]")
# the head 各县 shares: the next level's government or department (区人民政府,
# 县(区)司法行政主管部门), not a unit of its own (区直各部门, 市政府办公室)
_LEVEL_HEAD = re.compile(
    r"(?:[省市县区乡镇旗]、)*[省市县区乡镇旗](?:[(（][^)）]{1,6}[)）])?(?:两级|三级|级)?"
    r"(?:人民政府|政府|[^直各、，,]{2,12}(?:主管部门|部门))$"
)


NOT_A_NAME = re.compile(
    r"^(按照|根据|对照|依照|依据|通过|围绕|结合|针对|在|对|将|把|以|为|从|与|公开|推进|"
    r"做好|加强|建立|完善|提高|深化|健全|规范|落实|严格|开展|组织|实施|加快|"
    rf"强化|持续|及时|全面|进一步|鼓励|支持|引导|督促|要求|动员|合理|{BUILD})|[。“”《》]|的|"
    r"(?:干部|人员|同志|群众|部署|网站|布局|格局|大局)$"  # 各包村干部, 动员部署, 政府网站, 优化…布局
)


# An organisation named by what it does: 存在问题的单位, 开设有政务新媒体的单位.
_DOING_ORG = re.compile(r"^(?P<what>[\u4e00-\u9fa5]{2,16})的(?:单位|部门|机构)$")


# Groups a notice names by their kind alone: "（七）学校" over the schools' items.
BARE_GROUPS = {
    *("学校", "中小学", "中小学校", "幼儿园", "医院", "医疗机构"),
    *(
        "各地",
        "各地市",
        "各市",
        "各县",
        "各区",
        "各省",
        "各省份",
        "各地区",
        "各乡镇",
        "各村",
        "各社区",
    ),
}


# 各县市区, 各市县, 各县(市、区): the places of some levels, as a group
LEVELS_GROUP = re.compile(r"各[省市县区州盟旗乡镇街道村]{1,4}(?:[(（][市县区旗、]+[)）][市县区]?)?")


def is_unit(token: str) -> bool:
    if BARE_GROUPS & {token, token.removeprefix("各")} or LEVELS_GROUP.fullmatch(token):
        return True  # 学校, 各中小学, 各地
    head, sep, rest = token.partition("、")
    if sep and _LEVEL_ONLY.fullmatch(head) and _shares_head(head, rest):
        return True  # 各区、县(市)政府: levels sharing one head, as split_units keeps them
    balanced = token.count("(") == token.count(")") and token.count("（") == token.count("）")
    plain = _IN_BRACKETS.sub(lambda m: m.group(0).replace("、", ""), token)  # 各县(市、区)政府
    if m := _DOING_ORG.match(plain):
        return not NOT_A_NAME.search(m.group("what"))
    return balanced and bool(UNIT_TOKEN.match(plain)) and not NOT_A_NAME.search(token)


ROLE_PHRASE = re.compile(
    r"(等部门|等单位)?(按照?职责分工|按照?职能职责|按职责|根据职责|分别)[^,，;；。]{0,12}$"
)


# 区管委会办公室政策法规处负责法制审查工作: a unit named with the part of the work it does.
DOING_PART = re.compile(r"^(.{2,40}?)(?:负责|承担)[\u4e00-\u9fa5]{2,16}(?:工作)?$")


_MARKED = re.compile(r"\s*[(（]\s*(牵头|牵头单位|主责)\s*[)）]")


def unit_line(text: str) -> tuple[list[str], list[str]] | None:
    """(lead, units) when the whole line is unit names with role words, else None."""
    t = text.strip().rstrip("。.")
    if len(t) > 160 or not t:
        return None
    lead: list[str] = []
    units: list[str] = []
    in_charge: list[str] = []  # names a segment ends 负责 on
    helping = False  # a segment names units that 配合
    kin: list[str] = []  # segments no name reads, to be taken when a named sibling opens alike
    for seg in re.split(r"[,，;；。]", t):
        said = ROLE_PHRASE.search(seg.strip())
        seg = ROLE_PHRASE.sub("", seg.strip())
        if not seg:
            continue
        # X、Y、Z分别牵头落实: each leads its own part
        leads_apart = bool(said and re.fullmatch(r"分别牵头(负责|落实|实施)?", said.group(0)))
        if "会同" in seg:  # X会同Y负责: X leads, Y joins
            first, _, rest = seg.partition("会同")
            lead_names, others = split_units(first), split_units(rest)
            if lead_names and others and all(is_unit(n) for n in (*lead_names, *others)):
                lead += lead_names
                units += others
                continue
            return None
        if _MARKED.search(seg):  # X（牵头）、Y: the mark names the lead among the names
            names = split_units(seg)
            if not all(is_unit(_MARKED.sub("", n)) for n in names):
                return None
            lead += [_MARKED.sub("", n) for n in names if _MARKED.search(n)]
            units += [n for n in names if not _MARKED.search(n)]
            continue
        names = split_units(seg)
        if len(seg) <= 12 and read_dues(seg, 2000) and not any(is_unit(n) for n in names):
            continue  # （责任单位：X牵头，Y，6月底完成）: the deadline shares the clause
        if not names or not all(is_unit(n) for n in names):
            names = group_names(seg)  # 市、区县政府门户网站主办单位 is one group
        if not names and (part := DOING_PART.match(seg)):
            names = [n for n in split_units(part.group(1)) if is_unit(n)]  # X负责法制审查工作
        if not names and _KIN.fullmatch(seg) and not _KIN_NOT.search(seg):
            kin.append(seg)  # 各区属事业单位，各区属国有企企: a misspelt sibling of a name
            continue
        if not names:
            return None
        leads = leads_apart or re.search(r"牵头(负责|落实|实施|抓总)?$", seg)
        (lead if leads else units).extend(names)
        if not lead and re.search(r"(?<!共同)(?<!分别)负责$", seg):
            in_charge += names
        elif re.search(r"(配合|协助|协同|参与|参加)(落实|实施)?$", seg):
            helping = True
    named = lead + units
    for seg in kin:  # a list's names are of one kind: one that opens as a name beside it does
        if not any(n[:3] == seg[:3] for n in named):
            return None
        units.append(seg)
    if in_charge and helping and not lead:  # X负责，Y配合: the one in charge leads
        lead = [n for n in units if n in in_charge]
        units = [n for n in units if n not in in_charge]
    return (lead, units) if lead or units else None


# a segment short and plain enough to be a name the lexicon does not know (a typo)
_KIN = re.compile(r"[\u4e00-\u9fa5]{4,15}(?<![的地得了])")
_KIN_NOT = re.compile(r"要|应|将|须|开展|推进|加强|落实|做好|负责|建立|完善|工作|情况")

ROLE_LABEL = rf"({UNIT_LABELS})\s*[:：]"


def read_clause(body: str) -> tuple[list[str], list[str]]:
    lead: list[str] = []
    units: list[str] = []
    body = re.sub(rf"({UNIT_LABELS})\s*[;；](?=\s*[\u4e00-\u9fa5])", r"\1：", body)  # 责任单位;X
    # "牵头单位：X；配合单位：Y", or a comma before the second label: "牵头单位：X，配合单位：Y"
    for part in re.split(
        r"[;；]|[，,。](?=\s*[\u4e00-\u9fa5]{2,6}\s*[:：])",
        body,  # 适用范围：… is no role
    ):
        m = re.match(rf"\s*{ROLE_LABEL}\s*(.*)", part)
        if not m:
            continue
        roles = (
            unit_line(m.group(2))
            if not marks_lead(m.group(1)) and re.search(r"(牵头|负责|配合)", m.group(2))
            else None
        )
        if roles:  # 责任单位：X负责，Y配合 → X leads
            lead += roles[0]
            units += roles[1]
            continue
        # （…；责任单位：A、B，6月底完成）: the deadline shares the bracket, it is no name
        names = [n for n in split_units(m.group(2)) if is_unit(n) or not read_dues(n, 2000)]
        (lead if marks_lead(m.group(1)) else units).extend(names)
    return lead, units


def inline_roles(text: str) -> tuple[list[str], list[str]] | None:
    """``…，由X牵头，Y配合。`` inside a requirement sentence."""
    m = re.search(
        r"(?:由)?([^，,。；;:：]{2,60}?)牵头[，,]\s*([^，,。；;]{2,80}?)(?:配合|参与|按职责分工落实|落实)",
        text,
    )
    if m:
        lead = [n for n in split_units(m.group(1)) if is_unit(n)]
        units = [n for n in split_units(m.group(2)) if is_unit(n)]
        if lead:
            return lead, units
    # "由X、Y牵头，会同有关部门，对…进行清理": X and Y lead, those they bring in join
    if m := re.search(
        r"(?:^|[。；;，,])由([^，,。；;:：]{2,40}?)牵头[，,]\s*会同([^，,。；;]{2,30}?)[，,]", text
    ):
        lead = [n for n in split_units(m.group(1)) if is_unit(n)]
        units = [n for n in split_units(m.group(2)) if is_unit(n)]
        if lead and len(lead) == len(split_units(m.group(1))):
            return lead, units
    return None


def group_names(text: str) -> list[str]:
    """Names in a subject; a coordinated name that shares one head noun stays one group
    (``市、旗区两级政府部门`` is one group: ``市`` alone names nothing)."""
    text = re.sub(r"^(由|请)", "", text.strip())
    text = re.sub(r"[（(](?:包括|含|即|指)[^）)]*[）)]", "", text)  # 基层政府（包括…）
    parts = split_units(text)
    if parts and all(is_unit(p) for p in parts):
        return parts
    whole = ROLE_TAIL.sub("", text).strip()
    return [whole] if is_unit(whole.replace("、", "")) else []


DAMAGED_NAME = re.compile(r"^[、，,；;）)]|[（(][^）)]*$")  # 、区县政府门户网站承办单位


_LEADING = re.compile(
    r"^(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）.．、]\s*)?"
    r"(?P<who>[^：:。；;“”《》]{2,80}?)[：:](?P<rest>.{6,})$"
)
_LEAD_MARK = re.compile(r"[(（]\s*牵头\s*[)）]$|牵头(负责)?$")


def leading_units(text: str) -> tuple[list[str], list[str]] | None:
    """Units named before a colon at the start of an item: ``区财政局：…``,
    ``区民政局（牵头）、区财政局（牵头）、区直各部门：…``, ``X牵头，Y配合：…``. A name
    marked （牵头） or 牵头 leads; every part must read as an organisation."""
    m = _LEADING.match(text.strip())
    if not m:
        return None
    lead: list[str] = []
    units: list[str] = []
    for seg in re.split(r"[，,;；]", m.group("who")):
        seg = ROLE_PHRASE.sub("", seg.strip())
        leads_all = bool(re.search(r"牵头(负责)?$", seg))
        for part in re.split(r"、", seg):
            leads = bool(_LEAD_MARK.search(part.strip())) or leads_all
            name = _LEAD_MARK.sub("", part.strip())
            names = split_units(name) if name else []
            if len(names) != 1 or not is_unit(names[0]):
                return None
            (lead if leads else units).append(names[0])
    return (lead, units) if lead or units else None


_LABELLED = re.compile(r"^(牵头|责任|配合|落实|主责)(?:单位|部门)(?:为|是)[:：]?(.{2,80})$")
# a role verb closing a clause (not 负责人, 负责同志)
ROLE_AT_END = re.compile(r"(牵头|负责|配合|落实|参与|协助|抓总)(?:[，,]|$)")


def sentence_roles(text: str, drop_due: Callable[[str], str]) -> tuple[list[str], list[str]] | None:
    """A sentence of the item that says only who does it: ``市人社局牵头，各县(市、区)政府
    配合。``, ``由市发展改革委牵头，…按职责分工抓好落实。``, ``市自然资源规划局负责落实，
    8月15日前完成。``. Its deadline words are left to the dates; the last such sentence
    counts (the item's requirement comes first)."""
    for sentence in reversed(re.split(r"[。；;]", text)[1:]):
        if said := _LABELLED.match(sentence.strip()):  # 责任单位为X、Y。
            names = split_units(said.group(2))
            if names and all(is_unit(n) for n in names):
                return (names, []) if said.group(1) == "牵头" else ([], names)
        s = drop_due(sentence.strip())
        if not ROLE_AT_END.search(s):
            continue
        named = unit_line(s)
        if named:
            return named
    return None


FIRST_LEADS = re.compile(
    r"[^。；;]{0,30}(?:排在第一位|排第一位|列第一位|排在首位|排名第一|第一个|列首位|首位)的?"
    r"(?:单位|部门)?(?:者)?(?:为|是)牵头(?:单位|部门)[^。；;]{0,20}"
)


def first_unit_leads(ex: Extraction, lines: list[str]) -> None:
    """A notice that says once "排在第一位的为牵头单位" makes the first unit of every list
    that marks no lead its lead; the review list names the sentence as a rule."""
    sentence = next(
        (m.group(0).strip("，,）)") for text in lines if (m := FIRST_LEADS.search(text))), ""
    )
    if not sentence:
        return
    ex.first_leads = sentence
    for t in ex.tasks:
        if t.units and not t.lead:
            t.lead = [t.units[0]]
            t.rules.append(("lead", f"按通知“{sentence}”，以第一个单位为牵头单位"))


# -- brackets closing a measure ------------------------------------------------------

# （县发展改革局负责，持续推进）: roles (and maybe a deadline) in closing brackets
TRAILING_ROLES = re.compile(
    r"[(（]((?:[^()（）]|[(（][^()（）]{1,20}[)）]){2,120}?"
    r"(?:负责|牵头|配合|参与|落实|指导)(?:[^()（）]|[(（][^()（）]{1,20}[)）]){0,60})"
    r"[)）]\s*[。;；]?\s*$"
)
# a measure closed by its bracket of units with the next measure after it in the same
# paragraph: …回收体系。（X、Y指导）以铅酸蓄电池…为重点，…（Z负责）
MID_ROLES = re.compile(
    r"(?<=[。；;])" + TRAILING_ROLES.pattern.removesuffix(r"\s*$") + r"(?=[\u4e00-\u9fff“])"
)


# …黑窝点”。（责任单位：省农业厅、…）公安机关要…: a labelled bracket closing one measure
MID_CLAUSE = re.compile(
    rf"(?<=[。；;])\s*[(（〔\[【]\s*((?:{UNIT_LABELS})\s*[:：]"
    r"(?:[^()（）〔〕\[\]【】]|[(（][^()（）]{0,12}[)）])+?)"
    r"\s*[)）〕\]】]\s*[。;；]?(?=[\u4e00-\u9fff“（(])"
)


# what goes on with the measure before a bracket: 其中，…; 以上工作…; 上述…
GOES_ON = re.compile(r"其中|以上|上述|同时|此外|并")


def measures(text: str) -> list[str]:
    """A paragraph's measures, each closed by its own bracket of units."""
    cuts = [
        m.end()
        for m in MID_ROLES.finditer(text)
        # a standing clause may follow the units: （X指导，Y负责落实。以下均需Y落实，不再列出）
        if unit_line(drop_due_words(m.group(1).split("。")[0]))
        and len(text) - m.end() >= 10
        and not GOES_ON.match(text, m.end())
    ]
    cuts += [
        m.end()
        for m in MID_CLAUSE.finditer(text)
        if any(read_clause(m.group(1)))
        and len(text) - m.end() >= 10
        and not GOES_ON.match(text, m.end())
    ]
    cuts = sorted(set(cuts))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


DUE_WORDS = re.compile(
    r"[,，;；]?\s*(?:完成时限[:：]?)?[^,，;；]*(?:\d+月|年底|年末|前|内|持续推进|长期坚持|"
    r"持续深化|长期推进|持续开展|持续实施|每[年月季])[^,，;；]*"
)


def drop_due_words(text: str) -> str:
    return DUE_WORDS.sub("", text)
