"""The unit directory: who the units are, how they are grouped, how to reach them.

Notices name units loosely (自然资源局 for 市自然资源局, 区政府办 for
区人民政府办公室, traditional characters, a trailing 等). ``Directory.resolve``
accepts those spellings and refuses anything it cannot place, with the closest
known name as a suggestion: an unknown unit is an error, never a silent drop.

Files are CSV or XLSX with Chinese headers, one row per unit, because that is
what an office keeps in Excel. Channels name secrets, never hold them.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from plans.source import Problem
from plans.text import norm

UnitKind = Literal["department", "district", "town", "other"]
KIND_NAMES: dict[str, str] = {
    "department": "部门",
    "district": "区县政府",
    "town": "镇街",
    "other": "其他",
}
_KIND_ALIASES = {v: k for k, v in KIND_NAMES.items()} | {
    "区县": "district", "县区": "district", "镇": "town", "街道": "town", "乡镇": "town",
    "镇街道": "town", "单位": "other",
}
ContactRole = Literal["contact", "leader", "head"]
ROLE_NAMES: dict[str, str] = {"contact": "经办人", "leader": "分管领导", "head": "主要负责人"}
_SPLIT = re.compile(r"[;；、,，|\n]+")
# kind:SECRET_NAME, e.g. wecom_bot:ZS_FGJ_WECOM_KEY; the secret lives in the environment.
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?$")


def split_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in _SPLIT.split(str(value)) if p.strip()]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: ContactRole
    name: str = ""
    mobile: str | None = None
    email: str | None = None
    wecom_id: str | None = None
    dingtalk_id: str | None = None
    channels: list[str] = Field(default_factory=list, description="kind:SECRET_NAME references")

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str | None) -> str | None:
        if v and not re.fullmatch(r"\+?[0-9][0-9\- ]{5,19}", v):
            raise ValueError(f"手机号 {v!r} 格式不对")
        return v or None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
            raise ValueError(f"邮箱 {v!r} 格式不对")
        return v or None

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        for ch in v:
            if "://" in ch or "@" in ch or not _CHANNEL.match(ch):
                raise ValueError(
                    f"渠道 {ch!r} 应写成“类型:密钥名称”（如 wecom_bot:ZS_FGJ_WECOM_KEY），"
                    "密钥本身放在环境变量或 Prefect Secret 中，不要写进名录"
                )
        return v

    @property
    def empty(self) -> bool:
        return not any([self.name, self.mobile, self.email, self.wecom_id, self.dingtalk_id,
                        self.channels])


class Unit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    kind: UnitKind = "department"
    parent: str | None = None
    groups: list[str] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: object) -> object:
        return _KIND_ALIASES.get(v, v) if isinstance(v, str) else v


# Columns of the CSV/XLSX file. English headers are accepted too.
_UNIT_COLS = {"单位名称": "name", "别名": "aliases", "类型": "kind", "上级单位": "parent",
              "所属分组": "groups"}
_CONTACT_FIELDS = {"": "name", "手机": "mobile", "邮箱": "email", "企业微信": "wecom_id",
                   "钉钉": "dingtalk_id", "渠道": "channels"}
HEADERS: list[str] = list(_UNIT_COLS) + [
    f"{ROLE_NAMES[r]}{suffix}" for r in ROLE_NAMES for suffix in _CONTACT_FIELDS
]


def _header_key(header: str) -> tuple[str, str] | None:
    h = header.strip()
    if h in _UNIT_COLS:
        return ("unit", _UNIT_COLS[h])
    if h in _UNIT_COLS.values():
        return ("unit", h)
    for role, cn in ROLE_NAMES.items():
        for suffix, fld in _CONTACT_FIELDS.items():
            if h in (f"{cn}{suffix}", f"{role}_{fld}", f"{cn}姓名" if fld == "name" else ""):
                return (role, fld)
    return None


@dataclass
class Directory:
    """Units and groups, with lookup by any accepted spelling."""

    units: dict[str, Unit]
    groups: dict[str, list[str]]

    @classmethod
    def build(cls, units: list[Unit]) -> Directory:
        groups: dict[str, list[str]] = {}
        for u in units:
            for g in u.groups:
                groups.setdefault(g, []).append(u.name)
        return cls({u.name: u for u in units}, groups)

    def __post_init__(self) -> None:
        self._index: dict[str, tuple[str, str]] = {}
        for g in self.groups:
            self._index[norm(g)] = ("group", g)
        for u in self.units.values():
            for n in (u.name, *u.aliases):
                self._index[norm(n)] = ("unit", u.name)

    def resolve(self, name: str) -> tuple[str, str] | None:
        """``("unit"|"group", canonical name)`` for a spelling, or None.

        Tries the name as written, then without a trailing 等/等部门 and without a
        bracketed note, then with the region prefix the directory's own names
        use (市/区/县), accepting a prefixed match only when it is unique.
        """
        key = norm(name)
        candidates = [key]
        stripped = re.sub(r"(等部门|等单位|等)$", "", key)
        candidates.append(stripped)
        candidates.append(re.sub(r"[(（][^)）]*[)）]", "", stripped))
        for c in candidates:
            if c in self._index:
                return self._index[c]
        for c in candidates[1:] + candidates[:1]:
            hits = {self._index[p + c] for p in ("市", "区", "县", "市直", "区直")
                    if p + c in self._index}
            if len(hits) == 1:
                return hits.pop()
        return None

    def suggest(self, name: str) -> str | None:
        names = {norm(n): n for n in [*self.groups, *self.units]}
        for u in self.units.values():
            for a in u.aliases:
                names.setdefault(norm(a), a)
        best = difflib.get_close_matches(norm(name), list(names), n=1, cutoff=0.5)
        return names[best[0]] if best else None

    def members(self, group: str) -> list[str]:
        return list(self.groups.get(group, []))


def _rows_from_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("既不是 UTF-8 也不是 GBK 编码")
    return [row for row in csv.reader(io.StringIO(text))]


def _rows_from_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


def read_directory(path: Path) -> tuple[list[Unit], list[Problem]]:
    """Units from a CSV/XLSX file; every bad cell is a problem naming row and column."""
    name = str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        return [], [Problem(name, None, "", "文件不存在")]
    try:
        if suffix == ".csv":
            rows = _rows_from_csv(path)
        elif suffix in (".xlsx", ".xlsm"):
            rows = _rows_from_xlsx(path)
        else:
            return [], [Problem(name, None, "", "只支持 .csv 或 .xlsx 文件")]
    except Exception as exc:
        return [], [Problem(name, None, "", f"无法读取：{exc}")]
    if not rows:
        return [], [Problem(name, None, "", "文件为空")]
    header = rows[0]
    keys = [_header_key(h) for h in header]
    problems = [
        Problem(name, 1, h, "无法识别的列名（可用列见 duban units export 的表头）", "warning")
        for h, k in zip(header, keys, strict=True) if k is None and h.strip()
    ]
    if ("unit", "name") not in keys:
        return [], [Problem(name, 1, "单位名称", "缺少“单位名称”列")]
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        fields: dict[str, object] = {}
        contacts: dict[str, dict[str, object]] = {}
        for key, cell in zip(keys, row, strict=False):
            if key is None or not cell.strip():
                continue
            scope, fld = key
            value: object = split_list(cell) if fld in ("aliases", "groups", "channels") \
                else cell.strip()
            if scope == "unit":
                fields[fld] = value
            else:
                contacts.setdefault(scope, {"role": scope})[fld] = value
        fields["contacts"] = list(contacts.values())
        try:
            unit = Unit.model_validate(fields)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(Problem(name, lineno, loc, err["msg"]))
            continue
        if unit.name in seen:
            problems.append(Problem(name, lineno, "单位名称",
                                    f"{unit.name} 与第 {seen[unit.name]} 行重复"))
            continue
        seen[unit.name] = lineno
        units.append(unit)
    known = {u.name for u in units}
    for u in units:
        if u.parent and u.parent not in known:
            problems.append(Problem(name, seen[u.name], "上级单位",
                                    f"上级单位 {u.parent} 不在名录中"))
    alias_owner: dict[str, str] = {}
    for u in units:
        for a in (u.name, *u.aliases):
            other = alias_owner.setdefault(norm(a), u.name)
            if other != u.name:
                problems.append(Problem(name, seen[u.name], "别名",
                                        f"{a} 同时指向 {other} 和 {u.name}"))
    return units, problems


def directory_rows(units: list[Unit]) -> list[list[str]]:
    """Header plus one row per unit, the same layout ``read_directory`` reads."""
    rows = [HEADERS]
    for u in units:
        by_role = {c.role: c for c in u.contacts}
        row = [u.name, "；".join(u.aliases), KIND_NAMES[u.kind], u.parent or "",
               "；".join(u.groups)]
        for role in ROLE_NAMES:
            c = by_role.get(role)
            for fld in _CONTACT_FIELDS.values():
                v = getattr(c, fld) if c else None
                row.append("；".join(v) if isinstance(v, list) else (v or ""))
        rows.append(row)
    return rows


def write_directory(units: list[Unit], path: Path | None) -> str | None:
    """Write CSV (or XLSX by suffix); with no path, return the CSV text."""
    rows = directory_rows(units)
    if path is not None and path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "单位名录"
        for r in rows:
            ws.append(r)
        wb.save(path)
        return None
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    if path is None:
        return buf.getvalue()
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return None
