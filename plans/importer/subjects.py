"""Who acts in an item's sentences when no clause or unit line says it: the subject a
sentence opens with (区市场监管局要…), 由X牵头, X会同Y, Y等单位参加, and the unit an item
names as leading its part (X牵头…工作。)."""

from __future__ import annotations

import re

from plans.glued_names import WORK
from plans.importer.model import Extraction, TaskDraft
from plans.importer.units import group_names, is_unit
from plans.text import UNIT_SUFFIX

_SUBJECT_VERB = (
    r"(?:[，,](?=要|应|须|必须|务必|负责))?(?:要|应当|应|须|必须|务必|"
    r"作为|负责|切实|依法|按照|认真|在|于|将|每|贯彻"
)
# An item that opens with who does it: "（六）区市场监督管理局严格监管…"
_OPENING_VERB = (
    _SUBJECT_VERB + r"|严格|全面|加强|积极|做好|牵头|会同|统筹|指导|组织|加大|推进|"
    r"开展|督促|配合|协调|提供|建立|完善|制定|增加|充分|切实|认真|大力|持续|进一步|主动|落实)"
)
SUBJECT_VERB = re.compile(_SUBJECT_VERB + ")")
OPENING_VERB = re.compile(_OPENING_VERB)
# A later clause of a sentence with a subject of its own: "…运维合同到期后，主办单位应按要求
# 重新委托…". Only a modal verb marks it there (在/将 open adverbials mid-sentence); "应为…机构"
# says what something is, not who acts.
CLAUSE_SUBJECT = re.compile(
    r"^([^，,。；;：:“”《》]{2,40}?)(?:要|应当|应|须|必须|务必)(?!为[^，,]*(?:机构|单位|人员)$)"
)
# A sentence that opens with an organisation named by its role, then acts: "受理单位答复
# 申请人当日，应…", "受理单位的答复意见，需经…".
LEADING_ORG = re.compile(
    r"^((?:各|有关|相关)?[\u4e00-\u9fa5]{1,10}?(?:单位|部门))(?=[\u4e00-\u9fa5])"
)
# A sentence that opens with an organisation's name and what it does (国家中医药局印发…,
# 各省份于11月底前完成…): the name is the actor
ACTOR = re.compile(
    rf"^(?!{WORK.pattern}|我|本)"  # 依托县融媒体中心…, 向社会公布…, 本单位…: no actor
    rf"(各[\u4e00-\u9fa5]{{1,6}}?|(?:(?![和与及的在])[\u4e00-\u9fa5]){{1,18}}?{UNIT_SUFFIX})"
    r"(?=(?:于|在)[^，,。]{2,14}?前|推行|印发|建立|完成|制定|出台|开展|组织|建设|推进|加强|"
    r"落实|会同|指导|发布|公布|报送|依托|做好|健全|完善|实施|启动|部署|统筹|对照|负责|"
    r"结合|根据|按照|依照|依据|围绕|针对|切实|积极|加快|进一步)"
)
BY = re.compile(
    r"由([^，,。；;“”《》]{2,60}?)(牵头|负责|集中|对|按照|组织(?!部)|开展|视|会同|统一|结合|根据|依据)"
)
# what those 由X会同 brings in do together
_DO_ALONG = re.compile(r"负责|研究|共同|联合|制定|提出|开展|推进|落实|组织|做好|按")


def _along(rest: str) -> list[str]:
    """The names 由X会同 brings in: 县委组织部、县财政局等部门负责落实 → 县委组织部,
    县财政局. The last name is the longest that a verb follows (组织 inside 县委组织部 is
    no verb there)."""
    words = re.match(r"[^，,。；;“”《》]{2,120}", rest)
    if not words:
        return []
    *names, last = words.group(0).split("、")
    ends = [
        k
        for k in range(2, len(last))
        if _DO_ALONG.match(last, k) and group_names(last[:k]) and is_unit(last[:k])
    ]
    if not ends:
        return []
    names.append(last[: ends[-1]])
    out = [n for part in names for n in group_names(part)]
    return out if out and all(is_unit(n) for n in out) else []


JOINS = re.compile(r"[，,]([^，,。；;“”《》]{2,60}?)(参加|配合|参与)")


# …要会同有关部门制定…: whom the subject brings in
TOGETHER_WITH = re.compile(
    r"(?:^[^，,。；;]{2,40}?(?:要|应|将|须)?|[，,])会同([^，,。；;]{2,30}?(?:部门|单位|政府|委|局|办|署|部))"
)
# the subject's own role: 要充分发挥牵头抓总作用 (建立党工委牵头抓总…的机制 is another's)
LEADING_ROLE = re.compile(r"发挥(?:好)?(?:统筹)?牵头(?:抓总|协调)?作用")


def sentence_actors(text: str) -> tuple[list[str], list[str]]:
    """(lead, units) named as the actors of an item's sentences: subjects
    (``市、旗区两级政府部门要…``), ``由X牵头/负责…`` and ``Y等有关单位参加``."""
    lead: list[str] = []
    units: list[str] = []
    body = re.sub(r"^([(（]?[一二三四五六七八九十\d]+[)）.．、]?)", "", text)
    for sentence in re.split(r"[。；;]", body):
        sentence = re.sub(r"^[^，,]{2,12}(前|后|起|以来)[,，]", "", sentence.strip())
        sentence = re.sub(
            r"^(?:[一二三四五六七八九十]是|其[一二三四五六七八九十])[,，]?", "", sentence
        )
        sentence = re.sub(r"^(?:\d{4}年)?[^，,]{0,6}?(?:年|月|日|季度)(?:底|末)?前", "", sentence)
        found: list[tuple[str, bool]] = []
        for by in BY.finditer(sentence):
            found.append((by.group(1), by.group(2) == "牵头"))
            if by.group(2) == "会同":  # 由X会同A、B等部门负责落实: A and B join X
                found += [(n, False) for n in _along(sentence[by.end() :])]
        sentence = re.sub(r"[(（](?:包括|含|即|指)[^）)]*[）)]", "", sentence)
        subject = None
        # 省发展改革委要充分发挥牵头抓总作用, 市场监管总局要会同有关部门…: the subject leads
        joined = TOGETHER_WITH.search(sentence)
        subject_leads = bool(LEADING_ROLE.search(sentence) or joined)
        if joined:
            found += [(n, False) for n in group_names(joined.group(1)) if is_unit(n)]
        if named := subject_names(SUBJECT_VERB, sentence):
            found.append(("、".join(named), subject_leads))
        elif re.search(r"[应要须需]", sentence):
            subject = LEADING_ORG.match(sentence)  # 受理单位答复申请人当日，应…
            if subject and re.match(r"[要应须需]|根据|按照|科学", subject.group(1)):
                subject = None  # 要根据法律法规和部门职责…: a modal opens, no name
        if not (named or subject):
            subject = ACTOR.match(sentence)  # 2019年3月底前，国家卫生健康委推行…
            if subject and _NOT_SUBJECT.search(subject.group(1)):
                subject = None  # 个体工商户要积极配合市场监管所开展…: no name acts within
        # 各中小学、幼儿园严格落实…; never 重大节假日和各级党委政府…: a joined phrase
        if (
            not (named or subject)
            and (named := subject_names(OPENING_VERB, sentence))
            and not any(re.search("[和与及]", n) for n in named)
        ):
            found.append(("、".join(named), subject_leads))
        if subject:
            found.append((subject.group(1), subject_leads))
        for clause in re.split(r"[，,]", sentence)[1:]:
            if m := CLAUSE_SUBJECT.match(clause.strip()):
                found.append((m.group(1), False))
        found += [(m.group(1), False) for m in JOINS.finditer(sentence)]
        for k, (names, _) in enumerate(list(found)):
            first, together, rest = names.partition("会同")
            if together and first and rest:  # 请X会同有关部门…: X leads, they join
                found[k] = (first, True)
                found.append((rest, False))
        for names, leads in found:
            for n in group_names(names):
                if n not in lead and n not in units:
                    (lead if leads else units).append(n)
    return lead, units


def units_from_sentences(ex: Extraction) -> None:
    """A part of a notice that marks units marks nearly every item; a part that marks
    none (a whole notice, an attachment, 保障措施) names its actors in the sentences
    ("市、旗区两级政府部门要…", "由区公安分局…"): read those, and flag them."""
    groups: dict[str, list[TaskDraft]] = {}
    for t in ex.tasks:
        groups.setdefault(t.section[0] if t.section else "", []).append(t)
    for tasks in groups.values():
        marked = sum(1 for t in tasks if t.unit_source) >= len(tasks) / 5
        for t in tasks:
            if t.unit_source:
                continue
            if owned := part_lead(t.text):
                lead, units = owned
            elif marked:  # only an item that opens with who does it: "(一)区财政局按照…"
                lead, units = opening_subject(t.text)
            else:
                lead, units = sentence_actors(t.text)
            if lead or units:
                kept = [u for u in t.units if u not in lead and u not in units]  # standing
                t.lead, t.units, t.unit_source = lead, lead + units + kept, t.where
                t.unit_how = "sentence"


def opening_subject(text: str) -> tuple[list[str], list[str]]:
    """The organisation an item's first sentence opens with, as its subject."""
    body = re.sub(r"^([(（]?[一二三四五六七八九十\d]+[)）.．、]?)", "", text).strip()
    if named := subject_names(OPENING_VERB, body):
        return [], named
    # （一）开展视力监测筛查行动。各中小学、幼儿园严格落实…: the title, then who acts
    title = re.match(r"[^。；;，,]{2,30}[。；;]", body)
    return [], subject_names(OPENING_VERB, body[title.end() :]) if title else []


# what a subject's name never holds: a modal or a verb of its own (要配合, 成立…小组)
_NOT_SUBJECT = re.compile(r"要|须|必须|应当|配合|协助|自觉|^(成立|组建|设立|建立)")


def subject_names(verb: re.Pattern[str], sentence: str) -> list[str]:
    """The organisations opening a sentence before a verb (SUBJECT_VERB, OPENING_VERB).
    The shortest reading may cut a name at a verb-like character inside it (区执法应急局，
    负责…: 应), so each longer reading is tried until one names organisations."""
    for end in range(2, min(61, len(sentence))):
        if re.search(r"[，,。；;：:“”《》]", sentence[:end]):
            break
        if _NOT_SUBJECT.search(sentence[:end]):
            break  # 各经营户要配合市场服务中心…, 成立…领导小组，负责…: a longer name acts
        if verb.match(sentence, end) and (names := group_names(sentence[:end])):
            return names
    return []


def part_lead(text: str) -> tuple[list[str], list[str]] | None:
    """An item that opens by naming the unit leading its part (区市场监管局牵头涉嫌垄断调查
    整治工作。区交建局负责…): that unit leads, the actors of its other sentences join it."""
    body = re.sub(r"^([(（]?[一二三四五六七八九十\d]+[)）.．、]?)", "", text).strip()
    owner = LEADS_PART.match(body)
    if owner and not WORK.match(owner.group(1)) and (lead := group_names(owner.group(1))):
        _, others = sentence_actors(body[owner.end() :])
        return lead, [n for n in others if n not in lead]
    return None


# who leads a part of the plan: a name, never a phrase of where or by whom (各乡镇在县委
# 组织部牵头下…); 文化和旅游局 keeps its 和
_LEADER = r"(?:(?![在对由])[^，,。；;：:“”《》]){2,40}?"
# a heading naming the part the unit leads: 县发改局牵头工作（12项）, 由X负责的任务
OWNED_PART = re.compile(
    rf"(?:由)?({_LEADER})(牵头|负责|承担|主抓)(?:的|落实的|推进的)?"
    r"(?:(?:工作|重点)?任务|工作|事项|项目)"
    r"(?:[(（]\d+项[)）])?[。：:]?"
)
# an item that opens by naming the unit leading its part: X牵头涉嫌垄断调查整治工作。
LEADS_PART = re.compile(rf"^({_LEADER})牵头[^，,。；;]{{2,30}}?(?:工作|任务)[。；;]")
