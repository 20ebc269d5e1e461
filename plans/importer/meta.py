"""The head of a notice: 文号, the date under the signature and the issuer above it,
the plan's title and work year, 主送."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from plans.cn_dates import normalise
from plans.importer.model import Extraction, Field, Review
from plans.importer.units import split_units
from plans.labels import PAGE_FURNITURE
from plans.notice import Line

# the issuer's code (国办发, 渝府办发, 桑政公开办): never a title's 的/意见/通知/方案 glued before it
DOC_NO = re.compile(
    r"((?:(?![的见案划点])(?!(?<=通)知)[\u4e00-\u9fa5]){1,8}"
    r"[〔\[［(（]\s*(?:19|20)\d\d\s*[〕\]］)）]\s*\d+\s*号)"
)
DATE_LINE = re.compile(
    r"^((?:19|20)\d\d|[〇零○一二三四五六七八九]{4})年[0-9一二三四五六七八九十]{1,3}月"
    r"[0-9一二三四五六七八九十]{1,3}日$"
)
ISSUER_END = re.compile(
    r"(办公室|办公厅|人民政府|政府|委员会|管委会|小组|领导小组办公室|局|委|厅|办事处|国务院)$"
)
# an archive that keeps a page on one line glues the issuer to the date under it:
# 平潭综合实验区管委会办公室2021年3月24日
SIGNED = re.compile(
    r"^(?P<issuer>[\u4e00-\u9fa5（）()]{4,30}?" + ISSUER_END.pattern[:-1] + r")\s*"
    r"(?P<date>" + DATE_LINE.pattern[1:] + ")"
)

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


SPAN = re.compile(r"((?:19|20)\d\d)\s*年?\s*[—\-–~～至到－]+\s*((?:19|20)\d\d)\s*年")


CHAPTERS = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）])")
NUMBERED = re.compile(CHAPTERS.pattern[:-1] + r"|\d{1,2}[、.．](?!\d))")


def _signs_off(lines: list[Line], sig: int) -> bool:
    """The date closes the document itself (an 意见 or 方案 issued as it is, its
    numbered body above the signature), not a cover letter before the plan."""
    if any(
        re.search(r"印发给你们|现予印发|现印发|予以印发|现予发布", ln.text) for ln in lines[:sig]
    ):
        return False  # a cover letter that sends the plan; its own 1. 2. 3. ask for care
    # a page's or a crawl's own lines after the signature (访问地址: …) end nothing
    ends = sum(1 for ln in lines[sig + 1 :] if not PAGE_FURNITURE.search(ln.text)) <= 3
    # 1、2、3、 number a short plan signed at its very end; above an attachment they are the
    # cover letter's own requirements
    numbered = NUMBERED if ends else CHAPTERS
    return (ends or _attachment_follows(lines, sig)) and sum(
        1 for ln in lines[:sig] if numbered.match(ln.text)
    ) >= 3


def _attachment_follows(lines: list[Line], sig: int) -> bool:
    """附件 right under the signature (after 此件公开发布) of a document that is itself
    the plan: the document ended there. A cover letter that sends its attachment (现将
    《…》印发给你们, 关于印发…的通知) is no such document."""
    after = [ln.text for ln in lines[sig + 1 : sig + 4] if not re.match(r"^[(（]此件", ln.text)]
    if not after or not re.match(r"^附件\s*\d*\s*[:：]?", after[0]):
        return False
    return not any(_SENDS.search(ln.text) for ln in lines[:sig])


_SENDS = re.compile(r"现将.{0,60}?印发|印发给你们|关于(?:印发|转发)")


def _opening(lines: list[Line], sig: int) -> tuple[int, Field | None]:
    """Where the body of a self-signed document starts (after its 主送 line, else after
    its 文号) and its title: the short lines it opens with, a long one wrapped."""
    first = next((i for i, ln in enumerate(lines[:sig]) if NUMBERED.match(ln.text)), sig)
    start = next(
        (i + 1 for i in range(min(first, 12)) if re.search(r"[:：]$", lines[i].text)),
        next((i + 1 for i in range(min(first, 12)) if DOC_NO.search(lines[i].text)), 0),
    )
    top = []
    for ln in lines[: min(start, 6)]:
        if DOC_NO.search(ln.text) or re.search(r"[，。；：:,.;]", ln.text) or len(ln.text) > 40:
            break
        top.append(ln)
    title = Field("".join(ln.text for ln in top), top[0].where, 0.8) if top else None
    return start, title


def read_meta(lines: list[Line], ex: Extraction) -> int:
    """Fill ``ex.meta``; returns the index where the plan body starts."""
    head = lines[:60]
    sig = next((i for i, ln in enumerate(head) if DATE_LINE.match(ln.text)), None)
    signed = None
    # (not a portal's byline on the first lines: 梅江区应急管理局 2023年03月01日)
    if sig is None and (signed := next((ln for ln in head[3:] if SIGNED.match(ln.text)), None)):
        m = SIGNED.match(signed.text)
        assert m is not None
        ex.meta["issued"] = Field(_date(m.group("date")), signed.where)
        ex.meta["issuer"] = Field(m.group("issuer"), signed.where)
        sig = head.index(signed)
    if sig is None:  # a long 通知 or 意见 issued as it is: signed at its end
        sig = next(
            (i for i in range(len(lines) - 1, max(len(lines) - 6, 59), -1)
             if DATE_LINE.match(lines[i].text)),
            None,
        )  # fmt: skip
    if sig is None:
        sig = next(
            (
                i
                for i, ln in enumerate(head)
                if re.search(r"(发文日期|成文日期|印发日期|发布日期)", ln.text) and _date(ln.text)
            ),
            None,
        )
        if sig is not None:
            ex.review.append(
                Review(lines[sig].where, "未找到落款日期，取页面发布日期，请核对", "issued")
            )
    if sig is not None and signed is None:
        ex.meta["issued"] = Field(_date(lines[sig].text), lines[sig].where)
        issuer = lines[sig - 1].text if sig else ""
        # 附件：某省…工作方案某省…领导小组 / 2015年4月8日: the attachment's title glued
        # before the signer
        glued = re.match(r"^.{4,40}?(?:方案|要点|意见|分工|办法|细则)(?=.{4,30}$)", issuer)
        if glued and ISSUER_END.search(issuer[glued.end() :]) and len(issuer) > 20:
            issuer = issuer[glued.end() :]
        if ISSUER_END.search(issuer) and len(issuer) <= 30:
            ex.meta["issuer"] = Field(issuer, lines[sig - 1].where)
    for ln in head:
        # a page's metadata line (发布机构 X 文号 Y): the number is what follows 文号
        text = re.split(r"文\s*号\s*[:：]?", ln.text)[-1]
        m = DOC_NO.search(text)
        if m and not re.search(r"[《(（]", text[: m.start()][-3:] or "x"):
            ex.meta["doc_no"] = Field(
                re.sub(r"\s+", "", m.group(1)).replace("文号:", "").replace("文号", ""), ln.where
            )
            break
    else:
        ex.review.append(Review("文首", "未找到文号，请补填", "doc_no"))
    if "issuer" not in ex.meta:
        for ln in head[:12]:
            if re.fullmatch(r"序号|[\u4e00-\u9fa5]{0,4}(单位|部门)", ln.text):
                break  # a table's header: the names under it are its cells, not the issuer
            if (
                ISSUER_END.search(ln.text)
                and len(ln.text) <= 25
                and not DOC_NO.search(ln.text)
                and not re.search(r"[:：、，,]", ln.text)
                and not ln.text.startswith("各")  # 各县、区人民政府: those it is sent to
            ):
                ex.meta["issuer"] = Field(ln.text, ln.where, 0.6)
                ex.review.append(Review(ln.where, f"发文机关按“{ln.text}”识别，请核对", "issuer"))
                break
    # Title: the plan's own title right after the signature block, else the notice's.
    start = (sig + 1) if sig is not None else 0
    title = None
    if sig is not None and _signs_off(lines, sig):
        start, title = _opening(lines, sig)
        if _attachment_follows(lines, sig):  # the attachment after it is read too
            ex.signature = range(sig - 1 if "issuer" in ex.meta and not signed else sig, sig + 1)
        else:
            ex.body_end = sig - 1 if "issuer" in ex.meta and not signed else sig
    for i in range(start, min(start + 4, len(lines)) if title is None else start):
        t = lines[i].text
        if (
            re.search(r"(方案|要点|意见|分工|安排|清单|计划|办法|分解表|分工表)$", t)
            and len(t) <= 60
        ):
            # a long title wraps over short lines: 某区深化…结合 / 优化服务改革… / 重点任务分工方案
            above = [
                ln.text
                for ln in lines[start:i]
                if not ln.text.lstrip("(（").startswith("此件")
                and not re.fullmatch(r"附件\s*\d*\s*[:：]?", ln.text)
            ]
            whole = all(len(a) <= 30 and not re.search(r"[，。；：:,.;]", a) for a in above)
            title = Field(
                "".join(above) + t if whole else t, lines[i - len(above) if whole else i].where
            )
            start = i + 1
            break
        if t.startswith("(此件") or t.startswith("（此件"):
            continue
    if title is None:  # a 工作要点 printed with its title above the date
        for ln in head[: sig or 0]:
            if (
                re.search(r"(方案|要点|分工|安排|清单|计划)$", ln.text)
                and len(ln.text) <= 60
                and re.search(r"(19|20)\d\d年", normalise(ln.text))
            ):
                title = Field(ln.text, ln.where, 0.8)
    if title is None:  # a portal's metadata: 名称: / 标题: X
        for ln in head[:20]:
            m = re.match(r"^(?:名称|标题)\s*[:：]\s*(\S.{4,58}?)\s*(?:文号[:：].*)?$", ln.text)
            if m:
                title = Field(m.group(1), ln.where, 0.8)
                break
    if title is None:
        for ln in head[:10]:
            m = re.search(r"关于印发(?:《)?(.+?)(?:》)?的通知", ln.text)
            if m:
                title = Field(m.group(1), ln.where, 0.8)
                break
    if title:
        # 附件2关于…, 标题: 关于… (a crawl's field)
        title.value = re.sub(r"^(附件\s*\d*|标题|名称)\s*[:：]?\s*(?=\S{6})", "", title.value)
        title.value = re.sub(r"^[(（](本文有删减|此件[^()（）]{2,8})[)）]", "", title.value)
        ex.meta["title"] = title
    year_src = title.value if title else ""
    ym = re.search(r"((?:19|20)\d\d)年", normalise(year_src))
    span = SPAN.search(normalise(year_src))
    issued = ex.meta["issued"].value if "issued" in ex.meta else None
    if span and title:
        # 全民健身计划（2021—2025年）: a plan over years works from the year it is issued
        # (or its first year); 2025 would date every "三季度末" four years late
        first, last = int(span.group(1)), int(span.group(2))
        year = issued.year if issued and first <= issued.year <= last else first
        ex.meta["year"] = Field(year, title.where, 0.7)
        chosen = "印发年份" if issued and year == issued.year else "第一年"
        ex.year_basis = f"方案跨 {first}—{last} 年，工作年度取{chosen}"
        ex.review.append(Review("标题", f"{ex.year_basis}，请核对", "year", "rule"))
    elif ym:
        ex.meta["year"] = Field(int(ym.group(1)), title.where if title else "")
    elif "issued" in ex.meta and ex.meta["issued"].value:
        ex.meta["year"] = Field(ex.meta["issued"].value.year, ex.meta["issued"].where, 0.7)
        ex.year_basis = "标题中没有年份，工作年度取印发年份"
        ex.review.append(Review("标题", "标题中没有年份，工作年度取印发年份，请核对", "year"))
    elif years := Counter(
        m.group(1) for ln in lines for m in re.finditer(r"((?:19|20)\d\d)年", normalise(ln.text))
    ):
        year, _ = years.most_common(1)[0]  # a table alone (an attachment): its dates' year
        ex.meta["year"] = Field(int(year), "正文", 0.5)
        ex.year_basis = f"标题和落款都没有年份，工作年度取正文中最常见的年份 {year}"
        ex.review.append(Review("正文", f"{ex.year_basis}，请核对", "year"))
    for ln in head[:15]:
        if re.search(r"[:：]$", ln.text) and re.search(r"(政府|部门|单位|管委会|办事处)", ln.text):
            ex.recipients = [r for r in split_units(ln.text.rstrip(":：")) if r]
            break
    return start
