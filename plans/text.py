"""Text normalisation shared by name matching: simplified Chinese, half-width, no spaces.

Notices arrive in traditional characters (001), full-width digits and brackets
(003, 004); unit names must compare equal however they were typed.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

import opencc
from charset_normalizer import from_bytes


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def reading_form(text: str) -> str:
    """The text every notice reader works on: simplified characters and ASCII digits
    (２０２０年６月底前 is 2020年6月底前); the full-width brackets and stops the grammar
    reads stay as they are."""
    # OpenCC.convert carries no return annotation; it returns the converted str.
    simplified: str = _t2s().convert(text)
    return simplified.translate(_WIDE_DIGITS)


_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    """Simplified, NFKC (full-width to half-width), no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", reading_form(str(text))))


# Encodings Chinese text arrives in: GB (read as GB18030, their superset) and Big5.
_GB = {"gb18030", "gbk", "gb2312", "hz"}
_BIG5 = {"big5", "big5hkscs", "cp950"}


class NotChineseText(ValueError):
    """Bytes that are not Chinese text in an encoding an office uses."""


def decode_chinese(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else the encoding a detector names, provided it is
    a Chinese one (GB2312/GBK/GB18030 or Big5). Anything else, Shift-JIS included,
    which decodes as GB18030 into plausible-looking nonsense, is refused."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw[:262144]).best()
    name = codecs.lookup(best.encoding).name if best else "未知"
    if name in _GB or name in _BIG5:
        try:
            return raw.decode("gb18030" if name in _GB else "big5hkscs")
        except UnicodeDecodeError as exc:
            raise NotChineseText(f"按 {name} 解码失败（第 {exc.start} 字节）") from exc
    raise NotChineseText(f"检测到的编码是 {name}，不是中文文本（UTF-8、GBK/GB18030 或 Big5）")


_IM_MARKUP = str.maketrans(
    {"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "｀", "#": "＃", "|": "｜"}
)


def im_safe(text: str) -> str:
    """Text from users (a review comment, a report, a title) as it may appear in a
    notice: the characters that make markdown links, emphasis, headings or HTML in
    WeCom/DingTalk/Feishu messages become their full-width twins, which read the same
    to a person and mean nothing to a renderer."""
    return text.translate(_IM_MARKUP)


def md_escape(text: str) -> str:
    """A value for a Markdown document: no live HTML, no stray table column."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "｜")


# How the name of a unit ends (局, 委, 办 …): the importer's test of a unit name, and the
# reflow's cut between the glued cells of a flattened table row.
UNIT_SUFFIX = (
    r"(局|委|办|院|会|部门|政府|单位|中心|厅|处|室|所|站|队|镇|街|乡|集团|公司|"
    r"银行|馆|台|社|署|组|管委会|办事处|分局|支队|法院|检察院|镇街|街道|区县|旗区|部|团|"
    r"协|海关|支行|片区|村|工商联|妇联|残联|文联|侨联|社科联|团中央|学校|党校|大学|学院|医院|机构|机关|高校|院校)"
)


# what a number counts or dates (3个, 20日, 5年): such a number heads no paragraph
COUNTED = (
    "个项次条天年月日号时分秒倍万亿元家所人名周岁批类件期届位种处座台套张份场轮篇章节级"
    "辆户季小米吨亩"
)


# a page's number printed in its text (— 2 —, 第2页 共7页)
PAGE_NUMBER = re.compile(r"[—\-－–]+\s*\d{1,3}\s*[—\-－–]+|第\s*\d+\s*页(\s*共\s*\d+\s*页)?")
