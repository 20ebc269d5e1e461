"""The labels a notice puts before a field (牵头单位：, 协同责任单位：, 完成时限：, 分管领导：),
written once for the reflow that cuts before them and the importer that reads them.

A unit label is built the way offices build it: one or two role words, then what kind of
body it names (牵头责任单位, 协同配合部门, 主要责任处室). A person's label (分管省领导,
牵头负责领导, 责任人) names no unit: its value is left out of the reading.
"""

from __future__ import annotations

import re

# The role words a unit label is built of. A strong one names a role in a plan and hardly
# ever a body (责任单位, 配合部门); a weak one also ends the name of a body (主管部门, 实施单位,
# 主办单位), so it makes a label only where a label is expected: in a bracket, a table's
# header, a line's start.
STRONG_ROLES = (
    "牵头|主抓|责任|配合|协办|落实|主责|参与|参加|协同|协作|督办|督导|整改|包片|包保|包联"
)
WEAK_ROLES = "主办|承办|实施|负责|指导|主管"
_QUALIFIER = "问题|主要|具体|直接|相关"
# the bodies a unit label names
_BODY = "单位|部门|处室|科室|股室"
# labels not built of role words: who shares the work, two roles in one column
_OTHERS = (
    r"部门分工|单位分工|责任分工|配合[/／]责任单位|配合[(（]责任[)）]单位|"
    r"责任主体(?:与协同单位)?"
)
UNIT_LABELS = rf"(?:{_QUALIFIER})?(?:(?:{STRONG_ROLES}|{WEAK_ROLES}){{1,2}})(?:{_BODY})|{_OTHERS}"
# the labels that may be cut out of running text: never the end of a body's name
STRONG_LABELS = rf"(?:{_QUALIFIER})?(?:(?:{STRONG_ROLES}){{1,2}})(?:{_BODY})|{_OTHERS}"
# a person: 分管省领导, 牵头负责领导, 责任人, 包保领导
PERSON_LABELS = (
    r"(?:分管|牵头负责|牵头|责任|联系|包抓|包保|挂点|挂钩|主要)(?:省|市|区|县|镇|乡)?"
    r"(?:领导|负责人)|责任人|联系人"
)
TIME_LABELS = r"完成时限|完成时间|时限要求|时间要求|办结时限|时间节点|完成期限|整改时限|整改期限"
# what a table's header names a unit or time column (配合/责任单位, 指导部门, 完成时限)
COLUMN_LABELS = rf"{UNIT_LABELS}|{TIME_LABELS}|时间安排"
OTHER_LABELS = (
    r"成果形式|完成标准|工作标准|工作目标|预期成效|考核指标|佐证材料|备注|成果要求|完成形式|"
    r"验收标准"
)


def marks_lead(label: str) -> bool:
    """Whether a unit label marks the lead: 牵头单位, 牵头责任单位, 主要责任单位, 主责部门
    (主抓单位 are among the 责任单位, read apart)."""
    return "牵头" in label or label.startswith(("主要责任", "主责", "主办"))


def is_unit_label(label: str) -> bool:
    return re.fullmatch(UNIT_LABELS, label) is not None


# What a web page or a 公文's 版记 prints around the notice, not of it: a line that
# starts so begins anew, and is no task.
PAGE_FURNITURE = re.compile(
    r"^(来源|信息来源|作者|责任编辑|编辑|审核|校对|浏览次数|点击数|访问量|联系人|联系电话|"
    r"联系方式|咨询电话)\s*[:：]|^(分享到|打印本页|关闭窗口)|\.(pdf|docx?|xlsx?|wps|ofd|zip|rar)$|"
    # a crawl's own fields about the page (一级类别: 国家政策文件, 访问地址: https://…)
    r"^([一二三]级类别|类别|所属栏目|栏目|来源网站|访问地址|原文链接|原文地址|附件链接|"
    r"附件下载|本地目录|网址)\s*[:：]|^https?://\S+$|"
    # a portal's footer: who runs the site, its registration numbers, its links
    r"^(主办单位|承办单位|主办|承办|网站标识码|备案号|技术支持|版权所有)\s*[:：]|"
    r"ICP[备证]|公网安备|^(Copyright|©)|"
    r"^(政府网站找错|网站地图|联系我们|关于我们|无障碍浏览|返回顶部|[|\s])+$|"
    # the 版记 under a 公文: who else receives it, who printed it when
    r"^(抄送|抄报|分送)\s*[:：]|(\d{4}|[〇零○一二三四五六七八九]{4})年.{1,6}日\s*印发[。.]?$",
    re.I,
)
