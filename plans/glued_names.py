"""Organisation names glued together as an archive or a flattened table gives them
(区经济发展局区行政审批局, 市财政局牵头各镇街落实): where each name ends, where the next
begins, and where a requirement starts instead (做好…, 公开…), so that the readers of
glued lines, glued rows and glued cells part them the same way."""

from __future__ import annotations

import re

from plans.text import UNIT_SUFFIX

_CN = "一二三四五六七八九十"

# Where a unit cell glued after a requirement begins, and how its names run on.
_NAME_TAIL = re.compile(rf"{UNIT_SUFFIX}$")
NEW_NAME = "区市县省各"  # a name glued after another starts anew (…委市商务委)
_NOT_NAME = re.compile(r"[。，,；;：:“”《》\s\d]")


# A name's ending that reads on: (what it ends with, what may follow)
_LONGER = (
    ("部", "门"), ("街", "道"), ("办", "公室"), ("办", "公厅"), ("办", "事处"), ("委", "员会"),
    ("", "人民政府"), ("", "政府办公室"), ("", "政府办"), ("", "政府"), ("", "办公室"),
    ("", "办公厅"), ("", "各部门"), ("", "各有关部门"), ("", "各有关单位"), ("", "各单位"),
    ("", "各成员单位"), ("", "各相关部门"), ("", "各相关单位"), ("", "各处室"), ("", "各科室"),
)  # fmt: skip


def name_end(text: str, j: int, *, listed: bool = False) -> int | None:
    """The end of the organisation's name that starts at ``j`` (市发展改革委, 区社会事业局,
    市政府办公室, 市政务服务数据管理局(市信息中心)), or None where no name starts: the
    first ending (局, 委, 办 …) after which the next name, a separator, a role or the
    next requirement begins (区社 goes on as 区社会事业局; 市发展改革委 ends before 市)."""
    if j >= len(text) or not "\u4e00" <= text[j] <= "\u9fff" or WORK.match(text, j):
        return None  # a name begins with a character, not a number (2.公开全市核酸检测机构)
    longest = None
    for k in range(j + 2, min(j + 24, len(text)) + 1):
        if _NOT_NAME.search(text[k - 1]):
            break
        if longest is not None and WORK.match(text, k - 1):
            break  # 区人社局加强…: the requirement begins
        if not _NAME_TAIL.search(text[j:k]) or text[j:k].endswith("网站"):
            continue  # a website (政府门户网站) is no organisation
        grown = True
        while grown:  # 部 → 部门, 区县 → 区县政府, 市政府 → 市政府办公室
            grown = False
            for last, more in _LONGER:
                if text[j:k].endswith(last) and text.startswith(more, k):
                    k, grown = k + len(more), True
                    break
        m = re.match(r"[(（][^()（）。，,]{1,20}[)）]", text[k:])
        end = k + (m.end() if m else 0)
        longest = end
        if (
            m
            and re.fullmatch(r"[(（][市县区州旗、]+[)）]", m.group(0))
            and text[end : end + 1] in ("市", "县", "区")
        ):
            continue  # 各区(市)县政府: the bracket names the levels inside one group
        if end >= len(text) or _AFTER_NAME.match(text, end) or WORK.match(text, end):
            return end
    # after 、 in a cell: the name the list goes on with, the longest one (农业农村部, not
    # 农业农村: 村 ends a name too) that no requirement interrupts
    return longest if listed else None


# How a requirement or a section's heading begins: a verb of the work (做好…, 持续加强…,
# 公开…, 按照…), never a name
# 建设…中心 opens a measure; 建设单位, 建设银行 name a party
BUILD = r"建设(?!单位|银行|局|厅|部|委|集团|公司|方)"
WORK = re.compile(
    r"(?:做好|加强|推进|推动|持续|不断|切实|深化|强化|完善|提升|提高|健全|加大|加快|开展|"
    r"规范|优化|建立|扎实|全面|进一步|着力|坚持|积极|严格|抓好|聚焦|围绕|统筹|创新|拓展|"
    r"深入|大力|稳步|巩固|夯实|营造|构建|打造|实施|落细|压实|增强|注重|狠抓|用好|"
    r"公开|及时|按照|归集|依托|通过|依法|根据|结合|针对|以|在|对|将|把|由|从|向|组织|"
    r"编制|制定|发布|开设|设置|利用|梳理|推行|落实|密切|认真|主动|广泛|充分|准确|重点|"
    rf"逐步|探索|督促|指导|协调|配合|做优|做实|做细|{BUILD})"
)
# What may follow a whole name: a separator, the next name, a role, the next
# requirement or numbered item, or the rest of a sentence whose subject it is.
_AFTER_NAME = re.compile(
    rf"[、，,；;。{NEW_NAME}\d(（]|[{_CN}][、]|(?:牵头|负责|配合|协助|参与|落实|等|按)"
    r"|(?:要|应|须|将|可|会同|组织|指导|协调|统筹|是|为|与|和|及|的)"
    r"|(?:新媒体|微信|二维码|手机版|扫一扫|【?打印|【?关闭|分享到)"  # the page's own links
)


_ROLE = re.compile(
    r"(?:等(?:有关|相关)?(?:部门|单位)?)?(?:按照?职责分工)?(?:牵头|负责|配合|协助|参与|落实(?![《“]))?"
)


def cells_at(text: str, j: int) -> tuple[list[str], int]:
    """The unit cells glued from ``j`` on: names joined by 、，, share a cell, a name
    glued to the one before starts the next cell. Returns the cells and where they end."""
    cells: list[str] = []
    start = k = j
    while (end := name_end(text, k, listed=k != start)) is not None:
        if role := _ROLE.match(text, end):
            end = role.end()  # 市财政局牵头, 市直各部门按职责分工落实
        if (
            end < len(text)
            and text[end] in "、，,；;"
            and name_end(text, end + 1, listed=True) is not None
        ):
            k = end + 1
            continue
        cells.append(text[start:end])
        start = k = end
        if end >= len(text) or text[end] not in NEW_NAME:
            break
    return cells, start


def glued_names(text: str) -> list[str]:
    """Names a cell glued with nothing between them (区经济发展局区行政审批局), each
    whole; [text] when it is one name or not names at all."""
    cells, end = cells_at(text, 0)
    return cells if len(cells) >= 2 and end == len(text) else [text]
