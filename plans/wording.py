"""Task text as a document prints it: no outline number, Chinese punctuation.

Notices number their tasks ("(三)加强督促落实。", "2．", "一、") and are often typed
with ASCII punctuation ("县(区)政府办公室要建立自查整改机制,及时发现问题,").
The plan keeps the source as written (it is what the office reviewed); the
documents an office prints (催办单, 督办单, 通报, check reports) read the
title without its number and the text in full-width punctuation, as GB/T 9704
documents are written. Numbers, times and web addresses keep their ASCII
("1,000", "10:30", "http://…").
"""

from __future__ import annotations

import re

_CN_NUM = "一二三四五六七八九十百零〇"
# Outline numbers as 党政机关 write them: 一、 (一) （一） 1. 1、 1． (1) （1） ① 第一条
_OUTLINE = re.compile(
    rf"^\s*(?:[{_CN_NUM}]+\s*[、.．]"
    rf"|[（(]\s*[{_CN_NUM}\d]+\s*[)）]\s*[、.．]?"
    r"|\d{1,3}\s*[、.．](?!\d)"
    r"|\d{1,3}\s*[)）]"
    r"|[\u2460-\u2473\u3251-\u325f]"
    rf"|第[{_CN_NUM}\d]+[条项]\s*)\s*"
)
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+|[\w.+-]+@[\w-]+\.[\w.]+")
_PAIRS = {",": "，", ";": "；", "?": "？", "!": "！"}
# "〔责任单位：市政府办公室、县（区）人民政府〕" closing a task: the document is addressed
# to the unit already, and names its part in the task
_ATTRIBUTION = re.compile(
    r"[〔［【（]\s*(?:牵头|责任|配合|主办|协办)(?:单位|部门)[^〔〕［］【】]*"
    r"[〕］】）]\s*[。；]?\s*$"
)


def without_number(title: str) -> str:
    """ "(三)加强督促落实" → "加强督促落实"; a title that is only a number stays."""
    stripped = _OUTLINE.sub("", title, count=1)
    return stripped if stripped.strip() else title


def _fullwidth(part: str) -> str:
    # , ; ? ! next to Chinese (not between digits: 1,000)
    part = re.sub(r"(?<!\d)[,;?!]|[,;?!](?!\d)", lambda m: _PAIRS[m.group(0)], part)
    # a colon that is not a time (10:30)
    part = re.sub(r"(?<!\d):|:(?!\d)", "：", part)
    # brackets around or beside Chinese
    part = re.sub(rf"\(([^()]*[{_CJK}][^()]*)\)", r"（\1）", part)
    part = re.sub(
        rf"(?<=[{_CJK}])\(([^()]*)\)|\(([^()]*)\)(?=[{_CJK}])",
        lambda m: f"（{m.group(1) or m.group(2) or ''}）",
        part,
    )
    # a full stop after Chinese that ends a sentence (not 3.5, not an abbreviation)
    part = re.sub(rf"(?<=[{_CJK}])\.(?!\d)", "。", part)
    # no space between Chinese and its punctuation
    return re.sub(rf"\s*([，；：？！。（）])\s*(?=[{_CJK}（]|$)", r"\1", part)


def chinese_punctuation(text: str) -> str:
    """ASCII punctuation in Chinese text as full-width; addresses left alone."""
    out, last = [], 0
    for m in _URL.finditer(text):
        out += [_fullwidth(text[last : m.start()]), m.group(0)]
        last = m.end()
    out.append(_fullwidth(text[last:]))
    return "".join(out)


def printed_title(title: str) -> str:
    """A task's title as a document prints it."""
    return chinese_punctuation(without_number(title)).strip()


def printed_text(text: str) -> str:
    """A task's text as a document prints it (its leading number dropped too), ending
    as a sentence does."""
    out = _ATTRIBUTION.sub("", chinese_punctuation(without_number(text))).strip()
    if out and out[-1] in "，、；":  # a clause cut from its list reads as a sentence
        out = out[:-1] + "。"
    elif out and re.match(rf"[{_CJK}\w]", out[-1]) and out[-1] not in "。！？：…":
        out += "。"
    return out
