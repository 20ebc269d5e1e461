"""From a notice to a draft plan and a review list, by general rules.

1. Metadata from the head of the document: 文号, the date under the signature
   and the issuer above it, the plan's title, its work year, 主送.
2. Structure: numbering (一、 / （一） / 1. / （1）) gives headings and items;
   a short numbered line followed by deeper ones is a heading, otherwise an
   item; an unnumbered paragraph under a heading is an item too. Sections such
   as 总体要求/指导思想 state principles, not tasks.
3. Units, by the clause grammar of the notices: a trailing clause
   （牵头单位：…；责任单位：…） on an item (and on the items before it that have
   none) or on the heading above it, labelled lines (责任单位：…) under an item,
   a unit line after a run of items (two lines: lead, then units; or
   "X牵头，Y按职责分工落实"), table cells (工作任务 | 牵头单位 | 责任单位 …);
   where a part of the notice marks none, the subjects of its sentences.
4. Deadlines by ``plans.cn_dates``; plan-wide checkpoints from sentences about
   the plan itself (its task list, checks, a 回头看, a completion report,
   publication, recurring meetings) in the cover letter, in supervision
   sections, or naming the plan.
5. The review list names everything read with low confidence, and, given a unit
   directory, every unit name it cannot place.

Whatever is uncertain goes into the review list, never silently into the plan.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from plans.cn_dates import Due, forget_dues, normalise, read_dues
from plans.compile import DYNAMIC_GROUPS
from plans.directory import Directory
from plans.notice import Line, NoticeProblem, column_label, read_notice
from plans.text import UNIT_SUFFIX, norm

CN = "一二三四五六七八九十"
H1 = re.compile(rf"^([{CN}]+)[、.．]\s*(.*)$")
H2 = re.compile(rf"^[(（]([{CN}]+)[)）]\s*(.*)$")
H3 = re.compile(r"^(\d{1,2})(?:[.．、]|(?=[^\d.．、年月日%个项万亿余条家:：/\-]))\s*(.*)$")
H4 = re.compile(r"^[(（](\d{1,2})[)）]\s*(.*)$")
PAGE_FURNITURE = re.compile(r"^(来源|信息来源|作者|责任编辑|编辑|审核|校对|浏览次数|点击数|访问量|"
                            r"分享到|打印本页|关闭窗口)\s*[:：]?|\.(pdf|docx?|xlsx?|wps|ofd|zip|rar)$",
                            re.I)
MAX_ITEMS = 2000  # a real division plan has tens to a few hundred items
CIRCLED = re.compile(r"^([①-⑳])\s*(.*)$")
# 二、工作要求 after the tasks: requirements on the whole plan (organise, supervise,
# report), read for checkpoints but not tasks of their own.
REQUIREMENTS = re.compile(r"^(工作要求|有关要求|相关要求|其他要求|具体要求|有关事项|其他事项)[。.]?$")
PRINCIPLES = re.compile(r"^(总体要求|指导思想|基本原则|工作目标|主要目标|目标任务|总体目标)")

DOC_NO = re.compile(r"([\u4e00-\u9fa5]{1,12}[〔\[［(（]\s*(?:19|20)\d\d\s*[〕\]］)）]\s*\d+\s*号)")
DATE_LINE = re.compile(r"^((?:19|20)\d\d|[〇零○一二三四五六七八九]{4})年[0-9一二三四五六七八九十]{1,3}月"
                       r"[0-9一二三四五六七八九十]{1,3}日$")
ISSUER_END = re.compile(r"(办公室|办公厅|人民政府|政府|委员会|管委会|小组|领导小组办公室|局|委|厅|办事处)$")

UNIT_TOKEN = re.compile(rf"^[\u4e00-\u9fa5A-Za-z0-9()（）]{{1,40}}?{UNIT_SUFFIX}"
                        r"(\([^)]{1,20}\)|（[^）]{1,20}）)?(等有关单位|等相关单位|等单位|等部门|等)?$")
ROLE_TAIL = re.compile(r"(牵头|负责|按职责分工落实|按职责分工负责|按职责落实|分别负责|配合|落实|参与|"
                       r"共同负责|具体负责|按职能职责落实|按职责)$")
CLAUSE = re.compile(r"[(（〔\[【]\s*((?:牵头|责任|落实|配合|主责|实施|参与)(?:单位|部门)\s*[:：]"
                    r"(?:[^()（）〔〕\[\]【】]|[(（][^()（）]{0,12}[)）])+?)"
                    r"\s*[)）〕\]】]\s*[。;；]?\s*$")
# "…。牵头单位：市财政局；配合单位：各部门。" without brackets, closing the item
CLAUSE_OPEN = re.compile(r"(?<=[。;；.])\s*((?:牵头|责任|落实|配合|主责)(?:单位|部门)\s*[:：][^。]+)[。.]?\s*$")


@dataclass
class Field:
    value: Any
    where: str
    confidence: float = 1.0


@dataclass
class Review:
    """One line of the review list. ``about`` names the field it doubts (lead, units,
    due, text; "" for the document as a whole) and ``items`` the items it covers by their
    source line, so that a page can mark each. A *doubt* is a reading of one item the
    importer guessed and may have got wrong; a *rule* is one reading rule applied to
    many items (a merged cell's lead, a standing clause, the plan year for dates that
    state none), listed so a person can spot-check it; a *todo* is something the notice
    leaves open (no unit named, a per-case span) that a person must decide whatever the
    reading."""

    where: str
    what: str
    about: str = ""
    kind: str = "doubt"
    items: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.where}：{self.what}"

    def as_format(self) -> dict[str, Any]:
        return {"where": self.where, "about": self.about, "kind": self.kind,
                "items": self.items, "what": self.what}


@dataclass
class TaskDraft:
    text: str
    section: list[str]
    where: str
    lead: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    due: list[Due] = field(default_factory=list)
    path: str | None = None
    unit_source: str = ""  # where the units were read
    unit_how: str = ""  # which rule read them: a key of UNIT_CONFIDENCE
    cells: dict[str, str] = field(default_factory=dict)  # field → table cell it came from
    level: int = 0
    doubts: list[tuple[str, str]] = field(default_factory=list)  # (field, why), for the review
    rules: list[tuple[str, str]] = field(default_factory=list)  # (field, which rule read it)
    chief: list[str] = field(default_factory=list)  # 主抓单位, to be found in 责任单位

    def confidence(self) -> dict[str, float]:
        """Per field, how far the rule that read it is trusted (0–1)."""
        return {
            "text": 1.0 if self.level or self.unit_how == "table" else 0.8,
            "units": UNIT_CONFIDENCE[self.unit_how],
            "due": _due_confidence(self.due, 0.9),
        }


def _due_confidence(dues: list[Due], stated_none: float) -> float:
    """A garbled date is a guess; no date at all may be one the rules missed."""
    return min((1.0 if d.certain else 0.4 for d in dues), default=stated_none)


# How far each unit rule is trusted. A clause or a table column says outright who does
# what; a unit line after a run, a clause shared backwards, a merged cell and a
# sentence's subject are readings a person should confirm.
UNIT_CONFIDENCE = {"clause": 0.95, "table": 0.95, "inline": 0.85, "line": 0.85, "heading": 0.85,
                   "shared": 0.75, "merged": 0.6, "sentence": 0.6, "": 0.0}


@dataclass
class CheckpointDraft:
    kind: str
    text: str
    due: list[Due]
    units: list[str]
    where: str

    def confidence(self) -> dict[str, float]:
        return {"kind": 0.8, "due": _due_confidence(self.due, 0.8)}


@dataclass
class Target:
    unit: str
    count: int
    metric: str
    where: str


@dataclass
class Extraction:
    source: Path
    meta: dict[str, Field] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    checkpoints: list[CheckpointDraft] = field(default_factory=list)
    tasks: list[TaskDraft] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the current table's header cells
    target_metric: str = "目标任务条数"
    in_targets: bool = False  # inside a per-unit quota table
    target_total: tuple[int, str] | None = None  # its 合计 row, checked against the sum
    sections: dict[str, list[str]] = field(default_factory=dict)  # line → headings above it
    # 以下均需各片区配合落实，不再列出: units a clause adds to this and every later item
    standing: list[str] = field(default_factory=list)
    standing_note: str = ""  # where the standing clause is, for the review list

    def as_format(self) -> dict[str, Any]:
        """The extraction format of shared/eval/FORMAT.md."""
        return {
            "doc": self.source.name,
            "meta": {k: (v.value.isoformat() if hasattr(v.value, "isoformat") else v.value)
                     for k, v in self.meta.items()},
            "meta_sources": {k: {"where": v.where, "confidence": v.confidence}
                             for k, v in self.meta.items()},
            "recipients": self.recipients,
            "checkpoints": [{"kind": c.kind, "text": c.text, "due": [d.value for d in c.due],
                             "units": c.units, "source": c.where,
                             "confidence": c.confidence()} for c in self.checkpoints],
            "tasks": [{"text": t.text, "section": t.section, "lead": t.lead, "units": t.units,
                       "due": [d.value for d in t.due], **({"path": t.path} if t.path else {}),
                       "source": t.where,
                       "sources": {"text": t.where, "units": t.unit_source or None,
                                   "due": t.where} | t.cells,
                       "confidence": t.confidence()} for t in self.tasks],
            "targets": [{"unit": g.unit, "count": g.count, "metric": g.metric,
                         "source": g.where} for g in self.targets],
            "review": [str(r) for r in self.review],
            "flags": [r.as_format() for r in self.review],
        }


# -- units -------------------------------------------------------------------------------

_ROLE_HEAD = re.compile(r"^(由|请|各牵头单位|牵头单位|责任单位|落实单位|配合单位)[:：]?")
# 和 / 及 between two names (区财政局和区税务局, 市级各有关部门及各县市区政府); 及其 is a
# name's own part (各旗区人民政府及其部门)
_UNIT_SPLIT = re.compile(r"[、，,;；]|(?<=[局委办院会门府位心厅处室所站队镇街乡司行馆台社署组])"
                         r"(?:和|及(?!其))")
_BY_HEAD = re.compile(r"^(由|请)")
_DUTY_TAIL = re.compile(r"(按职责分工落实|按职责分工|按职责)$")


def split_units(text: str) -> list[str]:
    """``市发展改革局、自然资源局牵头`` → [市发展改革局, 自然资源局]; groups stay groups."""
    text = _ROLE_HEAD.sub("", text.strip())
    parts = _UNIT_SPLIT.split(text)
    out = []
    for p in parts:
        p = p.strip().strip("。.")
        while (q := ROLE_TAIL.sub("", p).strip()) != p:  # 牵头负责, 负责配合落实
            p = q
        p = _DUTY_TAIL.sub("", _BY_HEAD.sub("", p))
        p = re.sub(r"(?<=[\u4e00-\u9fa5)）])等$", "", p)  # 区市场监管局等 → 区市场监管局
        if p:
            out.append(p)
    return out


NOT_A_NAME = re.compile(r"^(按照|根据|对照|依照|依据|通过|围绕|结合|针对|在|对|将|把|以|为|从|与|公开|推进|"
                        r"做好|加强|建立|完善|提高|深化|健全|规范|落实|严格|开展|组织|实施|加快|"
                        r"强化|持续|及时|全面|进一步)|[。“”《》]|的")


def is_unit(token: str) -> bool:
    balanced = token.count("(") == token.count(")") and token.count("（") == token.count("）")
    return balanced and bool(UNIT_TOKEN.match(token)) and not NOT_A_NAME.search(token)


ROLE_PHRASE = re.compile(r"(等部门|等单位)?(按照?职责分工|按照?职能职责|按职责|根据职责|分别)[^,，;；。]{0,12}$")


# 区管委会办公室政策法规处负责法制审查工作: a unit named with the part of the work it does.
DOING_PART = re.compile(r"^(.{2,40}?)(?:负责|承担)[\u4e00-\u9fa5]{2,16}(?:工作)?$")


def unit_line(text: str) -> tuple[list[str], list[str]] | None:
    """(lead, units) when the whole line is unit names with role words, else None."""
    t = text.strip().rstrip("。.")
    if len(t) > 160 or not t:
        return None
    lead: list[str] = []
    units: list[str] = []
    for seg in re.split(r"[,，;；。]", t):
        seg = ROLE_PHRASE.sub("", seg.strip())
        if not seg:
            continue
        names = split_units(seg)
        if not names or not all(is_unit(n) for n in names):
            names = group_names(seg)  # 市、区县政府门户网站主办单位 is one group
        if not names and (part := DOING_PART.match(seg)):
            names = [n for n in split_units(part.group(1)) if is_unit(n)]  # X负责法制审查工作
        if not names:
            return None
        (lead if re.search(r"牵头(负责|落实|实施)?$", seg) else units).extend(names)
    return (lead, units) if lead or units else None


def read_clause(body: str) -> tuple[list[str], list[str]]:
    lead: list[str] = []
    units: list[str] = []
    for part in re.split(r"[;；]", body):
        m = re.match(r"\s*(牵头|责任|落实|配合|主责|实施|参与)(?:单位|部门)\s*[:：]\s*(.*)", part)
        if not m:
            continue
        names = split_units(m.group(2))
        (lead if m.group(1) == "牵头" else units).extend(names)
    return lead, units


def inline_roles(text: str) -> tuple[list[str], list[str]] | None:
    """``…，由X牵头，Y配合。`` inside a requirement sentence."""
    m = re.search(r"(?:由)?([^，,。；;:：]{2,60}?)牵头[，,]\s*([^，,。；;]{2,80}?)(?:配合|参与|按职责分工落实|落实)",
                  text)
    if m:
        lead = [n for n in split_units(m.group(1)) if is_unit(n)]
        units = [n for n in split_units(m.group(2)) if is_unit(n)]
        if lead:
            return lead, units
    return None


SUBJECT = re.compile(r"^([^，,。；;：:“”《》]{2,60}?)(?:要|应当|应|须|必须|务必|作为|负责|切实|依法|按照|认真|"
                     r"在|于|将|每|贯彻)")
BY = re.compile(r"由([^，,。；;“”《》]{2,60}?)(牵头|负责|集中|对|按照|组织|开展|视|会同|统一)")
JOINS = re.compile(r"[，,]([^，,。；;“”《》]{2,60}?)(参加|配合|参与)")


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


def sentence_actors(text: str) -> tuple[list[str], list[str]]:
    """(lead, units) named as the actors of an item's sentences: subjects
    (``市、旗区两级政府部门要…``), ``由X牵头/负责…`` and ``Y等有关单位参加``."""
    lead: list[str] = []
    units: list[str] = []
    body = re.sub(r"^([(（]?[一二三四五六七八九十\d]+[)）.．、]?)", "", text)
    for sentence in re.split(r"[。；;]", body):
        sentence = re.sub(r"^[^，,]{2,12}(前|后|起|以来)[,，]", "", sentence.strip())
        found = [(m.group(1), m.group(2) == "牵头") for m in BY.finditer(sentence)]
        if m := SUBJECT.match(sentence):
            found.append((m.group(1), False))
        found += [(m.group(1), False) for m in JOINS.finditer(sentence)]
        for names, leads in found:
            for n in group_names(names):
                if n not in lead and n not in units:
                    (lead if leads else units).append(n)
    return lead, units


# -- metadata ----------------------------------------------------------------------------

def _date(text: str) -> dt.date | None:
    t = normalise(text)
    m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", t)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def read_meta(lines: list[Line], ex: Extraction) -> int:
    """Fill ``ex.meta``; returns the index where the plan body starts."""
    head = lines[:60]
    sig = next((i for i, ln in enumerate(head) if DATE_LINE.match(ln.text)), None)
    if sig is None:
        sig = next((i for i, ln in enumerate(head) if re.search(r"(发布日期|印发日期|成文日期)", ln.text)
                    and _date(ln.text)), None)
        if sig is not None:
            ex.review.append(Review(lines[sig].where, "未找到落款日期，取页面发布日期，请核对"))
    if sig is not None:
        ex.meta["issued"] = Field(_date(lines[sig].text), lines[sig].where)
        above = lines[sig - 1].text if sig else ""
        if ISSUER_END.search(above) and len(above) <= 30:
            ex.meta["issuer"] = Field(above, lines[sig - 1].where)
    for ln in head:
        m = DOC_NO.search(ln.text)
        if m and not re.search(r"[《(（]", ln.text[: m.start()].replace("文号", "")[-3:] or "x"):
            ex.meta["doc_no"] = Field(re.sub(r"\s+", "", m.group(1)).replace("文号:", "")
                                      .replace("文号", ""), ln.where)
            break
    else:
        ex.review.append(Review("文首", "未找到文号，请补填"))
    if "issuer" not in ex.meta:
        for ln in head[:12]:
            if ISSUER_END.search(ln.text) and len(ln.text) <= 25 and not DOC_NO.search(ln.text) \
                    and not re.search(r"[:：]", ln.text):
                ex.meta["issuer"] = Field(ln.text, ln.where, 0.6)
                ex.review.append(Review(ln.where, f"发文机关按“{ln.text}”识别，请核对"))
                break
    # Title: the plan's own title right after the signature block, else the notice's.
    start = (sig + 1) if sig is not None else 0
    title = None
    for i in range(start, min(start + 4, len(lines))):
        t = lines[i].text
        if re.search(r"(方案|要点|意见|分工|安排|清单|计划|办法)$", t) and len(t) <= 60:
            # a long title wraps over short lines: 某区深化…结合 / 优化服务改革… / 重点任务分工方案
            above = [ln.text for ln in lines[start:i] if not ln.text.lstrip("(（").startswith("此件")]
            whole = all(len(a) <= 30 and not re.search(r"[，。；：:,.;]", a) for a in above)
            title = Field("".join(above) + t if whole else t,
                          lines[i - len(above) if whole else i].where)
            start = i + 1
            break
        if t.startswith("(此件") or t.startswith("（此件"):
            continue
    if title is None:  # a 工作要点 printed with its title above the date
        for ln in head[: sig or 0]:
            if re.search(r"(方案|要点|分工|安排|清单|计划)$", ln.text) and len(ln.text) <= 60 and \
                    re.search(r"(19|20)\d\d年", normalise(ln.text)):
                title = Field(ln.text, ln.where, 0.8)
    if title is None:
        for ln in head[:10]:
            m = re.search(r"关于印发(?:《)?(.+?)(?:》)?的通知", ln.text)
            if m:
                title = Field(m.group(1), ln.where, 0.8)
                break
    if title:
        ex.meta["title"] = title
    year_src = title.value if title else ""
    ym = re.search(r"((?:19|20)\d\d)年", normalise(year_src))
    if ym:
        ex.meta["year"] = Field(int(ym.group(1)), title.where if title else "")
    elif "issued" in ex.meta and ex.meta["issued"].value:
        ex.meta["year"] = Field(ex.meta["issued"].value.year, ex.meta["issued"].where, 0.7)
        ex.review.append(Review("标题", "标题中没有年份，工作年度取印发年份，请核对"))
    for ln in head[:15]:
        if re.search(r"[:：]$", ln.text) and re.search(r"(政府|部门|单位|管委会|办事处)", ln.text):
            ex.recipients = [r for r in split_units(ln.text.rstrip(":：")) if r]
            break
    return start


# -- structure ---------------------------------------------------------------------------

def numbering(text: str) -> tuple[int, str] | None:
    for level, rx in ((1, H1), (2, H2), (3, H3), (4, H4), (5, CIRCLED)):
        m = rx.match(text)
        if m:
            return level, m.group(2)
    return None


def _is_heading(text: str, level: int, nxt: tuple[int, str] | None) -> bool:
    short = len(text) <= 32 and text.count("。") <= 1 and (text.endswith("。") or "。" not in text)
    return short and (nxt is None or nxt[0] > level or level <= 2)


def _attach_path(text: str) -> tuple[str, str | None]:
    m = re.search(r"[(（]公开路径[:：]\s*(.+?)[)）]", text)
    if not m:
        return text, None
    return text, m.group(1)


def extract(path: Path, directory: Directory | None = None) -> Extraction:
    """Read a notice; with a unit directory, every unit name is checked against it."""
    forget_dues()  # the readings are remembered within one notice only
    lines = read_notice(path)
    ex = Extraction(path)
    if not lines:
        raise NoticeProblem(f"{path}: 文件是空的")
    body_start = read_meta(lines, ex)
    year = ex.meta["year"].value if "year" in ex.meta else 2000
    cover = lines[:body_start]
    find_checkpoints(cover, year, ex, in_cover=True)
    body = lines[body_start:]
    parse_body(body, year, ex)
    units_from_sentences(ex)
    find_checkpoints(body, year, ex, in_cover=False, sections=ex.sections)
    if not ex.tasks:
        text = "".join(ln.text for ln in lines)
        sent = re.search(r"现将[^。]{0,80}?(《[^》]{2,80}》)[^。]{0,30}印发给你们", text)
        if sent:  # the cover letter alone: its table is an attachment the copy left out
            raise NoticeProblem(f"{path}: 这是印发{sent.group(1)}的通知正文，没有附带任务分工"
                                f"表。请导入含附件{sent.group(1)}全文（任务条目及牵头、责任单位）的文件")
        raise NoticeProblem(f"{path}: 没有识别出任何任务条目（编号条目、责任单位或分工表）。"
                            "这份文件可能不是任务分工方案；请检查文件，或手工编写计划")
    if len(ex.tasks) > MAX_ITEMS:
        raise NoticeProblem(f"{path}: 读出 {len(ex.tasks)} 项任务，超过一份通知的上限 {MAX_ITEMS} 项"
                            "（真实的分工方案不过数百项）。请确认选对了文件")
    review_fields(ex)
    if directory is not None:
        check_units(ex, directory)
    else:
        ex.review.append(Review("单位", "未提供单位名录（--units），单位名称未逐一核对"))
    return ex


def review_fields(ex: Extraction) -> None:
    """The review list, item by item: what the notice leaves open (no unit, a per-case
    span) and every field the importer guessed (a merged cell's lead, a sentence's
    subject, units carried from a heading, a standing clause or the next item, a damaged
    unit name, a garbled date, a date whose year the text does not state when the plan's
    year is itself a guess or the date falls before the notice was issued). The same
    guess on consecutive items is one line."""
    issued = ex.meta["issued"].value if "issued" in ex.meta else None
    year_sure = "year" in ex.meta and ex.meta["year"].confidence >= 1.0
    open_runs: dict[tuple[str, str, str], tuple[Review, int]] = {}
    # One reading rule applied throughout (a merged cell's lead, a sentence's subject, the
    # plan year for dates that state none) is one line naming all the items it read.
    summary: dict[str, list[TaskDraft]] = {}
    for i, t in enumerate(ex.tasks):
        flags: list[tuple[str, str, str]] = []  # (about, kind, what)
        if not t.lead and not t.units:
            flags.append(("units", "todo", f"条目没有责任单位：“{t.text[:24]}…”"))
        elif t.unit_how in ("merged", "sentence", "shared"):
            summary.setdefault(t.unit_how, []).append(t)
            if t.unit_how == "sentence" and (more := _unread_actors(t)):
                flags.append(("units", "doubt", f"句中还提到“{'、'.join(more)}”，责任单位按主语读取"
                                                f"为“{'、'.join(t.units)}”"))
        elif t.unit_how == "heading":
            flags.append(("units", "doubt", f"责任单位取自上级标题（{t.unit_source}）的"
                                            f"“{'、'.join(t.lead + t.units)}”"))
        flags += [(about, "doubt", why) for about, why in t.doubts]
        flags += [(about, "rule", why) for about, why in t.rules]
        damaged = [n for n in (*t.lead, *t.units) if DAMAGED_NAME.search(n)]
        if damaged:
            flags.append(("units", "doubt", f"单位名称“{'、'.join(damaged)}”不完整（原文缺字），"
                                            "请对照原文补全"))
        if "year" not in ex.meta and any(_year_implied(d) for d in t.due):
            t.due = [d for d in t.due if not _year_implied(d)]  # no year to read them in
            summary.setdefault("noyear", []).append(t)
        for d in t.due:
            if not d.certain:
                flags.append(("due", "doubt", f"期限“{d.source}”字迹不清，按 {d.value} 读取"))
            elif d.value.endswith("@event") and not d.event:
                flags.append(("due", "todo", f"期限“{d.source}”按每件事项起算（如收到申请），"
                              "不是计划的一次性节点：改为 note 中的逐件时限，或写明事件名"
                              "（@event:事件名）"))
            elif _year_implied(d) and not year_sure:
                summary.setdefault("year", []).append(t)
            elif _year_implied(d) and issued and d.value < issued.isoformat():
                flags.append(("due", "doubt", f"期限“{d.source}”未写年份，按 {d.value} 读取，"
                                              "早于印发日期"))
        for about, kind, what in flags:
            key = (about, kind, what)
            run = open_runs.get(key)
            if run and run[1] == i - 1 and kind != "todo":
                run[0].items.append(t.where)
                open_runs[key] = (run[0], i)
                continue
            r = Review(t.where, what, about, kind, [t.where])
            ex.review.append(r)
            open_runs[key] = (r, i)
    for r in ex.review:
        if r.kind != "todo" and r.items:
            span = f"（至{r.items[-1]}共 {len(r.items)} 项）" if len(r.items) > 1 else ""
            r.what = f"{r.what}{span}，请{'核对' if r.kind == 'doubt' else '抽查'}"
    if "year" in summary:  # the plan year's own line names the dates it decides
        ex.review = [r for r in ex.review if r.where != "标题"]
    for how, tasks in summary.items():
        items = list(dict.fromkeys(t.where for t in tasks))
        about, what = SUMMARY[how]
        year = ex.meta["year"].value if "year" in ex.meta else ""
        ex.review.append(Review(items[0], what.format(n=len(items), year=year, last=items[-1]),
                                about, "todo" if how == "noyear" else "rule", items))
    counted = sum(g.count for g in ex.targets)
    if ex.target_total and ex.target_total[0] != counted:
        total, where = ex.target_total
        ex.review.append(Review(where, f"目标任务表合计为 {total}，逐项相加为 {counted}："
                                "有单位漏读或数字有误，请核对", "units"))
    for c in ex.checkpoints:
        if "year" not in ex.meta and any(_year_implied(d) for d in c.due):
            c.due = [d for d in c.due if not _year_implied(d)]
            ex.review.append(Review(c.where, "节点期限未写年份，通知中也没有年度，没有读成日期：请补填",
                                    "due", "todo", [c.where]))
        for d in c.due:
            said = any(r.where == c.where and d.source in r.what for r in ex.review)
            if not d.certain and not said:  # a task's own line said it already
                ex.review.append(Review(c.where, f"节点期限“{d.source}”字迹不清，按 {d.value} 读取，"
                                        "请核对", "due", items=[c.where]))


SUMMARY = {
    "merged": ("lead", "{n} 项的牵头单位格为空，按上方合并单元格沿用上一行的牵头单位（至{last}），"
                       "请抽查"),
    "sentence": ("units", "{n} 项未标注责任单位，按句中主语读取（至{last}），请逐项核对"),
    "shared": ("units", "{n} 项条目下没有单位行，按其后同级条目的单位行读取（至{last}），请抽查"),
    "year": ("due", "标题中没有年份，{n} 项未写年份的期限按印发年份 {year} 年读取（至{last}），"
                    "请核对"),
    "noyear": ("due", "通知的标题、落款和页面都没有写明年度：{n} 项未写年份的期限（如“年底前”）"
                      "没有读成日期（至{last}）。请在草稿中填写 year，再补上这些期限"),
}
# Who else a sentence names as doing something: 同时通知存在问题的单位整改.
_ACTOR = re.compile(r"(?:各|有关|相关|存在问题的|实行垂直管理的)?[\u4e00-\u9fa5]{0,12}?"
                    r"(?:单位|部门|政府|机关|机构)(?=[要应向,，、整负])")


def _unread_actors(t: TaskDraft) -> list[str]:
    named = (*t.lead, *t.units)
    # a title, or a bracket that explains the subject (包括旗区和苏木乡镇人民政府), names
    # no one else who acts
    text = re.sub(r"《[^》]*》|（[^）]{3,}）|\([^)]{3,}\)", "", t.text)
    out = []
    for m in _ACTOR.finditer(text):
        n = re.sub(r"^.*?(?:通知|转发|报|向|和|及|与|对|由)", "", m.group(0))
        clause = re.split(r"[，。；：,;:]", text[:m.end() - len(n)])[-1]
        if _NOT_ACTOR.search(clause):  # 约谈…的单位, 对…的单位, 作为…的责任单位: not doers
            continue
        if len(n) >= 2 and not any(n in x or x in n for x in named) and n not in out:
            out.append(n)
    return out


# A unit named as the object of the sentence's action or as what its subject is.
_NOT_ACTOR = re.compile(r"对|向|给|约谈|作为|(?<!特别)(?<!尤其)是|成为")


DAMAGED_NAME = re.compile(r"^[、，,；;）)]|[（(][^）)]*$")  # 、区县政府门户网站承办单位


def _year_implied(d: Due) -> bool:
    """A calendar date whose words give no year (9月底前, 年底前): the plan's year."""
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\d", d.value)) and \
        not re.search(r"\d{4}\s*年|次年|明年|今年|本年", normalise(d.source))


def check_units(ex: Extraction, directory: Directory) -> None:
    """Every unit name the draft uses that the directory cannot place, with the closest
    known name: one review item per name, at its first line, with its count."""
    seen: dict[str, list[str]] = {}
    items: dict[str, list[str]] = {}
    for t in ex.tasks:
        for n in (*t.lead, *t.units):
            seen.setdefault(n, []).append(t.unit_source or t.where)
            items.setdefault(n, []).append(t.where)
    for c in ex.checkpoints:
        for n in c.units:
            seen.setdefault(n, []).append(c.where)
    for g in ex.targets:
        seen.setdefault(g.unit, []).append(g.where)
    for name, wheres in seen.items():
        if name in DYNAMIC_GROUPS or directory.resolve(name):
            continue
        hint = directory.suggest(name)
        more = f"（共 {len(wheres)} 处）" if len(wheres) > 1 else ""
        ex.review.append(Review(wheres[0], f"单位“{name}”不在单位名录中{more}"
                                + (f"，最接近的是“{hint}”" if hint else "")
                                + "：在名录中补充该单位或别名，或在计划中改用名录中的名称",
                                "units", "doubt", list(dict.fromkeys(items.get(name, [])))))


def units_from_sentences(ex: Extraction) -> None:
    """A part of a notice that marks units marks nearly every item; a part that marks
    none (a whole notice, an attachment, 保障措施) names its actors in the sentences
    ("市、旗区两级政府部门要…", "由区公安分局…"): read those, and flag them."""
    groups: dict[str, list[TaskDraft]] = {}
    for t in ex.tasks:
        groups.setdefault(t.section[0] if t.section else "", []).append(t)
    for tasks in groups.values():
        if sum(1 for t in tasks if t.unit_source) >= len(tasks) / 5:
            continue
        for t in tasks:
            lead, units = sentence_actors(t.text)
            if t.unit_source or not (lead or units):
                continue
            t.lead, t.units, t.unit_source, t.unit_how = lead, lead + units, t.where, "sentence"


def parse_body(lines: list[Line], year: int, ex: Extraction) -> None:
    headings: dict[int, str] = {}
    skipping = False
    in_attachment = False
    pending: list[int] = []  # tasks since the last unit assignment (for a following unit line)
    second: list[int] = []  # tasks whose lead column was read; their units column is next
    columns = 1  # 2 once a lead line and a units line have followed a run of items
    seen: set[str] = set()
    nums = [numbering(ln.text) for ln in lines]
    table_mode = False
    head_units: dict[int, tuple[list[str], list[str], str]] = {}  # level → a heading's clause

    def section() -> list[str]:
        return [headings[k] for k in sorted(headings)]

    for i, ln in enumerate(lines):
        text = ln.text
        ex.sections[ln.where] = section()
        if re.match(r"^附件\s*\d*\s*$", text) or re.match(r"^附件\s*\d*[:：]", text):
            in_attachment = True
            headings.clear()
            head_units.clear()
            pending.clear()
            continue
        num = nums[i]
        if ln.cells and _table_row(ln, year, ex, section()):
            table_mode = True
            continue
        if text in ("工作任务", "具体要求", "落实单位", "牵头单位", "责任单位", "配合单位",
                    "完成时限", "序号", "任务", "主要内容"):
            table_mode = True
            continue
        if FIELD_LINE.match(text) and ex.tasks and not table_mode:
            field_line(ln, year, ex)
            pending = []
            continue
        ul = unit_line(text)
        if ul is not None and (pending or second):
            lead, units = ul
            if DAMAGED_NAME.search(text):  # 、区县政府门户网站承办单位: the line lost its start
                for k in pending or second:
                    ex.tasks[k].doubts.append(("units", f"单位格“{text}”开头缺字，请对照原文补全"))
            if pending:
                run, pending = pending, []
                two = table_mode and i + 1 < len(lines) and unit_line(lines[i + 1].text) \
                    is not None and not unit_line(lines[i + 1].text)[0]  # type: ignore[index]
                if two and not lead:  # the lead column; the units column follows
                    for k in run:
                        ex.tasks[k].lead, ex.tasks[k].unit_source = units, ln.where
                        ex.tasks[k].unit_how = "line"
                    second = run
                    continue
                inherited: list[str] = []
                if table_mode and columns == 2 and not lead and run[0] > 0:
                    before = ex.tasks[run[0] - 1]  # a merged lead cell spans several rows,
                    here = ex.tasks[run[0]].section  # also over a sub-heading in the row
                    if here == before.section or (
                            before.section and here[:len(before.section)] == before.section):
                        inherited = list(before.lead)
                for k in run:
                    t = ex.tasks[k]
                    t.lead, t.units, t.unit_source = lead or inherited, units, ln.where
                    t.unit_how = "merged" if inherited and not lead else "line"
                    if table_mode and columns == 2 and not t.lead:
                        t.doubts.append(("lead", "牵头单位格为空，可能是跨页或合并的单元格，"
                                                 "已只按责任单位读取"))
            else:
                for k in second:
                    ex.tasks[k].units = units or lead
                second, columns = [], 2
            continue
        second = []
        if num is not None:
            level, rest = num
            nxt = next((n for n in nums[i + 1:i + 2] if n is not None), None)
            cm = CLAUSE.search(rest)  # （一）推进决策公开（牵头单位：…）governs its items
            bare = rest[:cm.start()].strip() if cm else rest
            deeper = nxt is not None and nxt[0] > level  # a clause makes a heading only over items
            if level <= 2 and _is_heading(bare, level, nxt) and (deeper or not cm):
                for k in [k for k in headings if k >= level]:
                    del headings[k]
                headings[level] = text[: len(text) - len(rest)] + bare
                head_units = {k: v for k, v in head_units.items() if k < level}
                if cm:
                    head_units[level] = (*read_clause(cm.group(1)), ln.where)
                if level == 1:
                    skipping = bool(PRINCIPLES.match(rest) or (ex.tasks and REQUIREMENTS.match(bare)))
                if text not in seen:  # a heading repeated at a page break keeps the run
                    pending = []
                seen.add(text)
                continue
            if level == 1 and PRINCIPLES.match(rest):
                skipping = True
                continue
            if level == 1:
                skipping = False
        elif not re.search(r"[，。；,;：:]", text):
            nxt = nums[i + 1] if i + 1 < len(nums) else None
            if len(text) <= 40 and nxt is not None:
                headings[9] = text  # an unnumbered heading over numbered items (a table column)
                pending = []
                continue
            if len(text) < 20:
                continue  # captions, footers, navigation
        if re.match(r"^[(（]公开路径[:：]", text) and ex.tasks:
            prev = ex.tasks[-1]  # a cell's path wrapped onto its own line
            prev.text, prev.path = _attach_path(prev.text + text)
            continue
        if in_attachment and num is not None and not re.search(r"[，。；,;]", text):
            continue  # the list of attachment titles
        if num is not None and num[0] >= 3 and len(num[1]) <= 12 and "，" not in num[1] and \
                "," not in num[1]:
            headings[num[0] + 5] = text  # a short numbered caption (1.政府网站。) heads a group
            continue
        if re.search(r"(.{2,8})\1\1", text):
            continue  # injected spam and navigation repeat themselves (微信微信微信)
        if PAGE_FURNITURE.search(text):
            continue  # 来源：…, 责任编辑：…, an attached file's name: the page, not the notice
        if skipping or (not headings and not ex.tasks and num is None):
            continue
        if in_attachment and num is None:
            continue
        t = add_task(ln, text, section(), year, ex, num[0] if num else 0)
        if not t.unit_source and head_units:
            lead, units, where = head_units[max(head_units)]
            t.lead, t.units, t.unit_source, t.unit_how = list(lead), list(units), where, "heading"
        pending.append(len(ex.tasks) - 1)


def add_task(ln: Line, text: str, section: list[str], year: int, ex: Extraction,
             level: int) -> TaskDraft:
    text, path = _attach_path(text)
    t = TaskDraft(text=text, section=section, where=ln.where, due=read_dues(text, year),
                  path=path, level=level)
    m = CLAUSE.search(text) or CLAUSE_OPEN.search(text)
    paren = None if m else TRAILING_ROLES.search(text)
    roles = None if m or paren else inline_roles(text)
    inside = _standing_clause(paren.group(1), ln, ex) if paren else ""
    if m:
        t.lead, t.units = read_clause(m.group(1))
        t.unit_source, t.unit_how = ln.where, "clause"
        _share_backwards(ex, t)
    elif paren and (named := unit_line(_drop_due_words(inside))):
        t.lead, t.units = named  # （县发展改革局负责，持续推进）
        t.unit_source, t.unit_how = ln.where, "clause"
        _share_backwards(ex, t)
    elif roles:
        t.lead, t.units = roles
        t.unit_source, t.unit_how = ln.where, "inline"
    added = [u for u in ex.standing if u not in t.units and u not in t.lead]
    if added:
        t.units += added
        t.rules.append(("units", ex.standing_note))
    ex.tasks.append(t)
    return t


STANDING = re.compile(r"[,，;；]?\s*以下(?:均|都|各项)?(?:需|由|请)?(?P<who>[^,，;；]{2,40}?)"
                      r"(?:负责)?(?:配合)?(?:落实|实施|参与)[^,，;；]*(?:[,，;；]\s*不再(?:一一)?列出)?")


def _standing_clause(body: str, ln: Line, ex: Extraction) -> str:
    """Note a standing clause (以下均需各片区配合落实，不再列出) and return the bracket's
    words without it; its units join this and every later item, and the review list
    says so once."""
    m = STANDING.search(body)
    if not m:
        return body
    names = [n for n in split_units(m.group("who")) if n]
    if names:
        ex.standing = names
        ex.standing_note = (f"责任单位中的“{'、'.join(names)}”来自{ln.where}的常设条款"
                            f"“{m.group(0).strip('，,；; ')}”")
    return body[:m.start()] + body[m.end():]


def _share_backwards(ex: Extraction, t: TaskDraft) -> None:
    """A clause closing a run of siblings governs those before it that have none."""
    for prev in reversed(ex.tasks):
        if prev is t:
            continue
        if (prev.unit_source and prev.unit_how != "shared") or prev.section != t.section or \
                prev.level != t.level or \
                TRAILING_ROLES.search(prev.text):
            break  # an item closing with its own bracket never takes another's units
        prev.lead, prev.units, prev.unit_source = list(t.lead), list(t.units), t.unit_source
        prev.unit_how = "shared"


# （县发展改革局负责，持续推进）: roles (and maybe a deadline) in closing brackets
TRAILING_ROLES = re.compile(r"[(（]((?:[^()（）]|[(（][^()（）]{1,20}[)）]){2,120}?"
                            r"(?:负责|牵头|配合|参与|落实)(?:[^()（）]|[(（][^()（）]{1,20}[)）]){0,60})"
                            r"[)）]\s*[。;；]?\s*$")
DUE_WORDS = re.compile(r"[,，;；]?\s*(?:完成时限[:：]?)?[^,，;；]*(?:\d+月|年底|年末|前|内|持续推进|长期坚持|"
                       r"持续深化|长期推进|每[年月季])[^,，;；]*")


def _drop_due_words(text: str) -> str:
    return DUE_WORDS.sub("", text)


UNIT_LABELS = (r"牵头单位|主抓单位|责任单位|配合单位|协办单位|落实单位|主责单位|参与单位|牵头部门"
               r"|责任部门|配合部门|责任处室|牵头处室")
TIME_LABELS = r"完成时限|完成时间|时限要求|时间要求|办结时限|时间节点|完成期限"
FIELD_LINE = re.compile(rf"^({UNIT_LABELS}|{TIME_LABELS}|公开路径)\s*[:：]")
FIELD = re.compile(rf"({UNIT_LABELS}|{TIME_LABELS}|公开路径)\s*[:：]\s*(.*?)\s*[;；]?\s*"
                   rf"(?=(?:{UNIT_LABELS}|{TIME_LABELS}|公开路径)\s*[:：]|$)")


def field_line(ln: Line, year: int, ex: Extraction) -> None:
    """``责任单位：县财政局`` / ``完成时限：2023年6月底前`` on lines of their own after
    an item: fields of that item (units also of the siblings before it with none)."""
    t = ex.tasks[-1]
    for m in FIELD.finditer(ln.text):
        label, value = m.group(1), m.group(2).strip()
        if not value:
            continue
        if re.fullmatch(UNIT_LABELS, label):
            roles = unit_line(value) if "牵头" not in label and \
                re.search(r"(牵头|负责|配合)", value) else None
            if roles:  # 责任单位：X牵头，Y按职责分工负责 → lead X, units Y
                t.lead.extend(n for n in roles[0] if n not in t.lead)
                t.units.extend(n for n in roles[1] if n not in t.units)
            else:
                names = split_units(value)
                if label == "主抓单位":
                    t.chief = names
                elif label == "责任单位" and t.chief:
                    # 主抓单位 are among the 责任单位: one the list lacks is a variant name,
                    # sure when one holds the other (区自然资源与生态环境处, 自然资源与生态环境处)
                    t.units = [n for n in t.units if n not in t.chief or n in names]
                    stray = [n for n in t.chief if not any(n in m or m in n for m in names)]
                    if stray:
                        t.doubts.append(("units", f"主抓单位“{'、'.join(stray)}”不在责任单位中，"
                                                  "已按责任单位读取"))
                (t.lead if "牵头" in label else t.units).extend(
                    n for n in names if n not in t.units)
            t.unit_source, t.unit_how = ln.where, "clause"
        elif label == "公开路径":
            t.path = value
        else:
            dues = read_dues(value, year) or read_dues(value + "前", year)
            t.due = dues + [d for d in t.due if d.value not in {x.value for x in dues}]
    if t.unit_source == ln.where:
        _share_backwards(ex, t)


def _table_row(ln: Line, year: int, ex: Extraction, section: list[str]) -> bool:
    """A table row (.docx or ``|`` text): header rows set the column roles."""
    cells = ln.cells
    while len(cells) > 1 and not cells[-1]:
        cells = cells[:-1]  # "a | b | |": a row padded at its end, as a pipe copy gives it
    joined = "".join(cells)
    if re.search(r"(牵头单位|责任单位|配合单位|落实单位|完成时限|牵头部门|责任部门|责任科室|责任处室|"
                 r"配合部门|时限要求|完成时间)", joined) and \
            all(len(c) <= 12 for c in cells):
        # a header cell merged across columns names each of them (工作任务 over two)
        ex.columns = []
        for c in cells:
            ex.columns.append(c or (ex.columns[-1] if ex.columns else ""))
        return True
    cols = ex.columns
    if not cols or len(cells) < 2:
        if re.search(r"(单位|名称)", joined) and re.search(r"(条数|任务数|数量|指标)", joined):
            # a per-unit quota table: 单位 | 目标任务条数 | 单位 | 目标任务条数 …
            metric = next(c for c in cells if re.search(r"(条数|任务数|数量|指标)", c))
            ex.target_metric = re.sub(r"\s+", "", metric)
            ex.in_targets = True
            return True
        pairs = [(cells[k], cells[k + 1]) for k in range(0, len(cells) - 1, 2)
                 if cells[k] and re.fullmatch(r"\d+", cells[k + 1])]
        if ex.in_targets and pairs:
            for name, count in pairs:
                if re.fullmatch(r"(合计|小计|总计|共计)", name):
                    ex.target_total = (int(count), ln.where)
                else:
                    ex.targets.append(Target(name, int(count), ex.target_metric, ln.where))
            return True
        ex.in_targets = False
        return False
    texts: list[str] = []
    lead: list[str] = []
    units: list[str] = []
    due: list[Due] = []
    cell_of: dict[str, list[int]] = {"text": [], "units": [], "due": []}  # 1-based columns
    # A browser copy of a table gives a merged cell only in its first row: a shorter row
    # lacks some of its cells. They are placed where their contents fit the columns (a
    # unit list under a unit column, a deadline under the time column), the rightmost
    # placement where several fit as well.
    shift = _best_shift(cells, cols, year) if len(cells) < len(cols) else 0
    for k, c in enumerate(cells):
        name = cols[k + shift] if k + shift < len(cols) else ""
        if not c:
            continue
        roles = unit_line(c) if re.search(r"(牵头|配合|落实|负责)", c) else None
        if roles and re.search(r"(牵头|责任|配合|落实|参与)", name):
            lead += roles[0]  # "X牵头，Y按职责分工落实" in one cell
            units += roles[1]
        elif "牵头" in name:
            lead += split_units(c)
        elif re.search(r"(责任|配合|落实|参与)", name):
            units += split_units(c)
        elif re.search(r"(时限|时间|期限)", name):
            due += read_dues(c, year, issued_anchor=True) or \
                ([Due(v.value) for v in read_dues(c + "前", year)])
            cell_of["due"].append(k + 1)
            continue
        elif re.search(r"(任务|要求|内容|措施|事项|类别|领域|项目)", name):
            texts.append(c)
            if len(c) >= max(map(len, texts)):
                cell_of["text"] = [k + 1]
            continue
        else:
            continue
        cell_of["units"].append(k + 1)
    if not texts:
        return True
    task_text = max(texts, key=len)
    # a shorter text column beside the requirement (工作任务 | 具体要求) names its group; a
    # row without it sits under the group of the row above (a merged cell)
    groups = [c for c in texts if c != task_text and len(c) <= 40]
    if shift and not groups and ex.tasks and ex.tasks[-1].unit_how == "table":
        groups = ex.tasks[-1].section[len(section):]
    t = TaskDraft(text=task_text, section=section + groups, where=ln.where, lead=lead, units=units,
                  due=due or read_dues(task_text, year), unit_source=ln.where, unit_how="table")
    t.text, t.path = _attach_path(task_text)
    t.cells = {f: f"{ln.where}第{'、'.join(map(str, ks))}列" for f, ks in cell_of.items() if ks}
    ex.tasks.append(t)
    return True


def _column_kind(name: str) -> str:
    label = column_label(name)
    if label:
        return "due" if label == "完成时限" else "unit"
    return "text" if re.search(r"(任务|要求|内容|措施|事项|类别|领域|项目|举措)", name) else ""


def _cell_kind(cell: str, year: int) -> str:
    if not cell:
        return ""
    if len(cell) <= 40 and (unit_line(cell) or all(is_unit(n) for n in split_units(cell))):
        return "unit"
    if len(cell) <= 20 and read_dues(cell, year):
        return "due"
    return "text"


_FIT = {("unit", "unit"): 2, ("due", "due"): 2, ("text", "text"): 1, ("unit", "text"): -1,
        ("unit", "due"): -2, ("due", "unit"): -1, ("due", "text"): -1, ("text", "unit"): -2,
        ("text", "due"): -2}


def _best_shift(cells: list[str], cols: list[str], year: int) -> int:
    """How many leading columns a short row lacks, judged by what its cells hold."""
    kinds = [_cell_kind(c, year) for c in cells]
    col_kinds = [_column_kind(c) for c in cols]
    best, best_score = 0, None
    for shift in range(len(cols) - len(cells) + 1):
        score = sum(_FIT.get((k, col_kinds[i + shift]), 0) for i, k in enumerate(kinds) if k)
        if best_score is None or score >= best_score:
            best, best_score = shift, score
    return best


# -- checkpoints -------------------------------------------------------------------------
# A plan-wide checkpoint is a sentence about the plan itself: its task list, checks on
# its progress, a look-back, a completion report, publication, or the recurring
# meetings and inspections that supervise it. Such sentences sit in the cover letter, in
# sections about safeguards and supervision, or name the plan (本方案, 《任务分工》).

PLAN_SELF = re.compile(r"(本方案|本通知|本要点|本意见|本计划|本文件|分工方案|任务分工|工作要点|实施方案)")
PROGRESS = r"(落实情况|完成情况|主要情况|进展情况|推进情况|开展情况|工作总结|总结报告)"
SUPERVISION_HEADING = re.compile(r"(保障|督查|督促|督办|督导|考核|考评|监督|检查|评估|组织实施|工作要求|"
                                 r"协调|任务落实|抓好落实|狠抓落实|落实机制)")
TO_COORDINATOR = re.compile(r"报(送)?[^，。；]{0,6}(政府办|办公室|办公厅)")
CUE = re.compile(rf"(回头看|清单|台账|工作计划|备案|报送|检查|巡查|督查|监测|评估|听取|汇报|协调会|"
                 rf"会议|年度报告|公开|公布|{PROGRESS}|{TO_COORDINATOR.pattern})")
CHECK_ACT = re.compile(r"(开展|进行|组织|实施|集中)[^，,。；;]{0,30}(检查|巡查|督查|监测|抽查|评估)|"
                       r"(每月|季|半年)一(检查|评估|督查)|"
                       rf"{PROGRESS}[^。；;]{{0,30}}(检查|督查|评估|巡查)|跟踪检查|检查巡查")
KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("lookback", re.compile(r"回头看")),
    ("meeting", re.compile(r"(听取[^，。；]{0,20}汇报|召开[^，。；]{0,30}(会|会议)|协调会|联席会议|例会)")),
    ("check", CHECK_ACT),
    ("report", re.compile(rf"{PROGRESS}[^。；;]{{0,40}}(报送|报告|报|纳入)|纳入[^，。；]{{0,20}}年度报告|"
                          r"(报送|上报)[^，。；]{0,20}(总结|进展|完成情况)")),
    ("list", re.compile(r"(任务清单|责任清单|工作清单|任务台账|工作台账|工作计划|实施方案|具体措施|"
                        r"工作方案)")),
    ("publish", re.compile(r"(公开|公布|发布)")),
]
RECURRING = ("monthly", "bimonthly", "quarterly", "semiannual", "yearly")
OWN_DOMAIN = re.compile(r"本(系统|行业|领域|区县|地区)[^，。；]{0,6}(各级|政务公开工作(培训|检查))")
DUTY = re.compile(r"(承担|履行|负责)[^。；]{0,40}(职责|职能)[。；;]?$")  # who does what, not when
COORDINATOR = re.compile(r"^(市|区|县|州|盟|旗)?(人民)?政府(办公室|办公厅|办)")


def find_checkpoints(lines: list[Line], year: int, ex: Extraction, *, in_cover: bool,
                     sections: dict[str, list[str]] | None = None) -> None:
    tasks = {t.where: t for t in ex.tasks}
    actor: list[str] = []  # the last subject named in the paragraph, for sentences without one
    for ln in lines:
        section = (sections or {}).get(ln.where, [])
        # The innermost heading decides: "五、抓保障促落实" holds "（一）加强工作指导" (tasks)
        # beside "（三）狠抓任务落实" (the plan's own checkpoints).
        supervised = in_cover or bool(section and SUPERVISION_HEADING.search(section[-1]))
        actor = []
        for s, dues in _clauses(ln.text, year):
            lead, others = sentence_actors(s)
            named = lead + others
            actor = named or actor
            if dues is None or len(re.sub(r"^[(（]?[一二三四五六七八九十\d]+[)）.．、]?", "", s)) < 10:
                continue  # an item's own title ("（二）按时报送进展。") states no obligation
            recurring = any(d.value.split(":")[0] in RECURRING for d in dues)
            kind = next((k for k, rx in KINDS if rx.search(s)), "other")
            about_plan = bool(PLAN_SELF.search(s)) and bool(re.search(
                rf"({PROGRESS}|公布后|印发后|报送|备案|检查)", s))
            to_coordinator = TO_COORDINATOR.search(s)
            if not (kind == "lookback" or about_plan
                    or (supervised and (kind != "publish" or dues or re.search("(年度报告|清单)", s)))
                    or (recurring and (kind in ("check", "meeting") or to_coordinator))
                    or (dues and kind in ("report", "list"))):
                continue
            if OWN_DOMAIN.search(s) or DUTY.search(s) or \
                    (kind == "other" and not (dues or to_coordinator)):
                continue
            if any(c.text == s for c in ex.checkpoints):
                continue
            task = tasks.get(ln.where)
            units = named or actor or (task.lead + task.units if task else [])
            # The coordinator's own part is the check itself; units are those who owe.
            units = [u for u in dict.fromkeys(units) if is_unit(u) and not COORDINATOR.match(u)]
            ex.checkpoints.append(CheckpointDraft(kind, s, dues, units, ln.where))


def _clauses(text: str, year: int) -> list[tuple[str, list[Due] | None]]:
    """Sentences with their deadlines; a "，并…" clause with a deadline of its own is a
    checkpoint of its own, its span read with the sentence (it may count from the same
    anchor: "本方案公布后10个工作日内报…，并在30个工作日内公开")."""
    out: list[tuple[str, list[Due] | None]] = []
    for sentence in re.split(r"(?<=[。；;])", text):
        s = CLAUSE.sub("", sentence).strip()
        if not s:
            continue
        if not CUE.search(s):
            out.append((s, None))  # no checkpoint here; read for its actor only
            continue
        dues = [d for d in read_dues(s, year) if d.value != "ongoing"]
        # Cut at each "，并…/，于…/，每年…" where the part before has a deadline of its own
        # and the rest still has one: "…10个工作日内报备，并在30个工作日内公开".
        start = taken = 0
        for m in CLAUSE_CUT.finditer(s):
            n = len([d for d in read_dues(s[:m.start()], year) if d.value != "ongoing"])
            if taken < n < len(dues):
                out.append((s[start:m.start()], dues[taken:n]))
                start, taken = m.end(), n
        out.append((s[start:], dues[taken:]))
    return out


CLAUSE_CUT = re.compile(r"[,，](?=(并|同时|于|在|每年|每月|每季度|每半年|双月))")


# -- output ------------------------------------------------------------------------------

def draft_plan(ex: Extraction, directory: str | None = None,
               jurisdiction: str | None = None) -> dict[str, Any]:
    """A plan document (the foundation's format) for a coordinator to review. Each
    task and checkpoint notes its source line and what in it awaits review."""
    meta = {k: v.value for k, v in ex.meta.items()}
    year = meta.get("year")  # None when the notice states none: the draft says so
    digest = hashlib.sha1(ex.source.name.encode()).hexdigest()[:6]
    pending: dict[str, list[str]] = {}
    for r in ex.review:
        for where in r.items or [r.where]:
            pending.setdefault(where, []).append(r.what)

    def note(*wheres: str) -> str:
        todo = [w for where in dict.fromkeys(wheres) for w in pending.get(where, [])]
        return f"来源：{wheres[0]}" + (f"；待核对：{'；'.join(todo)}" if todo else "")

    plan: dict[str, Any] = {
        "id": f"plan-{year or 'year'}-{digest}",
        "title": meta.get("title") or ex.source.stem,
        "doc_no": meta.get("doc_no"),
        "issuer": meta.get("issuer") or "（待填）",
        "issued": meta["issued"].isoformat() if meta.get("issued") else None,
        "year": year,
        "coordinator": meta.get("issuer") or "（待填）",
        "recipients": ex.recipients,
        "jurisdiction": jurisdiction,
        "directory": directory,
        "checkpoints": [{"id": f"cp{i:02d}", "kind": c.kind, "text": c.text,
                         "due": [d.rule for d in c.due], "units": c.units,
                         "note": note(c.where)}
                        for i, c in enumerate(ex.checkpoints, start=1)],
        "tasks": [{"id": f"t{i:03d}", "section": t.section, "text": t.text, "lead": t.lead,
                   "units": t.units, "due": [d.rule for d in t.due],
                   **({"path": t.path} if t.path else {}),
                   "note": note(t.where, *([t.unit_source] if t.unit_source else []))}
                  for i, t in enumerate(ex.tasks, start=1)],
        "targets": [{"unit": g.unit, "count": g.count, "metric": g.metric}
                    for g in ex.targets] or None,
    }
    return {k: v for k, v in plan.items() if v is not None}


class _PlainDumper(yaml.SafeDumper):
    """No anchors or aliases: in a draft edited by hand, ``*id001`` would make one
    task's unit list silently the same object as another's."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def draft_yaml(ex: Extraction, plan: dict[str, Any]) -> str:
    """The draft as YAML, headed by the review list as comments."""
    head = ["# 由 duban import 生成的计划草稿：请按下列待核对事项逐项核对、修改后，",
            "# 用 duban plan validate 校验，再 duban plan load 加载。",
            f"# 来源：{ex.source.name}"]
    head += [f"# 待核对 {len(ex.review)} 处："] + [f"#   - {r}" for r in ex.review]
    return "\n".join(head) + "\n" + dump_plan(plan)


def dump_plan(plan: dict[str, Any]) -> str:
    """A plan as YAML, as every draft is written (no anchors, keys in plan order)."""
    return yaml.dump(plan, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=200)


REVIEWED = re.compile(r"核对\[([a-z_,]+)\]")
# An item's own number ("3." "（二）" "①" "第五条") is layout: a hand-written plan may drop it.
ITEM_NUMBER = re.compile(r"^\s*(?:第[一二三四五六七八九十百\d]+条|[(（][一二三四五六七八九十\d]+[)）]|"
                         r"[一二三四五六七八九十]+[、.．]|\d+[、.．)）]|[①-⑳])\s*")


def _body(text: str) -> str:
    """An entry's text for matching: normalised, without its own leading number."""
    return norm(ITEM_NUMBER.sub("", text or "", count=1))


def _pair(olds: list[dict[str, Any]], news: list[dict[str, Any]]) -> tuple[
        list[tuple[dict[str, Any], dict[str, Any]]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Match entries by section and text, then by close text (a reworded item);
    returns (pairs, added, removed)."""

    def key(t: dict[str, Any]) -> str:
        return norm("".join(ITEM_NUMBER.sub("", h, count=1) for h in t.get("section") or [])) \
            + "|" + _body(t.get("text", ""))

    pool: dict[str, list[dict[str, Any]]] = {}
    for t in olds:
        pool.setdefault(key(t), []).append(t)
    pairs, unmatched = [], []
    for t in news:
        if pool.get(key(t)):
            pairs.append((pool[key(t)].pop(0), t))
        else:
            unmatched.append(t)
    left = [t for ts in pool.values() for t in ts]
    added = []
    for t in unmatched:
        texts = [_body(o.get("text", "")) for o in left]
        close = difflib.get_close_matches(_body(t.get("text", "")), texts, n=1, cutoff=0.8)
        if close:
            pairs.append((left.pop(texts.index(close[0])), t))
        else:
            added.append(t)
    return pairs, added, left


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], int]:
    """What a re-issued notice changes in an existing plan: entries added, removed,
    reworded, or with other units or deadlines. Fields the plan marks as reviewed
    (``核对[units]`` in a note) were changed by hand on purpose and are not listed; their
    count is returned beside the changes."""
    out = []
    for f, cn in (("doc_no", "文号"), ("issued", "印发日期"), ("title", "标题"), ("year", "年度")):
        if str(old.get(f) or "") != str(new.get(f) or ""):
            out.append(f"~ {cn}：{old.get(f) or '无'} → {new.get(f) or '无'}")
    skipped = 0
    for kind, cn in (("checkpoints", "检查节点"), ("tasks", "任务")):
        pairs, added, removed = _pair(old.get(kind) or [], new.get(kind) or [])
        for a, b in sorted(pairs, key=lambda p: str(p[0].get("id", ""))):
            m = REVIEWED.search(a.get("note") or "")
            reviewed = set(m.group(1).split(",")) if m else set()
            label = f"{a.get('id', '')}（{b['text'][:20]}…）"
            if _body(a.get("text", "")) != _body(b.get("text", "")):
                out.append(f"~ {cn} {label} 内容有改动：{b['text'][:60]}")
            for f, fcn in (("lead", "牵头单位"), ("units", "责任单位"), ("due", "期限")):
                if f not in a and f not in b:
                    continue
                x, y = [str(v) for v in a.get(f) or []], [str(v) for v in b.get(f) or []]
                if sorted(x) == sorted(y):
                    continue
                if f in reviewed:
                    skipped += 1
                    continue
                out.append(f"~ {cn} {label} {fcn}：{'、'.join(x) or '无'} → {'、'.join(y) or '无'}")
        out += [f"+ 新增{cn}：{t['text'][:50]}" for t in added]
        out += [f"- 删除{cn}：{t.get('id', '')} {t['text'][:50]}" for t in removed]
    return out, skipped
