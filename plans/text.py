"""Text normalisation shared by name matching: simplified Chinese, half-width, no spaces.

Notices arrive in traditional characters (001), full-width digits and brackets
(003, 004); unit names must compare equal however they were typed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    """Simplified, NFKC (full-width to half-width), no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", to_simplified(str(text))))
