"""The unit directory: who the units are, how they are grouped, how to reach them.

A directory belongs to a jurisdiction (中山市, 重庆市 …): units are named
within it, and the same name in two jurisdictions is two units. The file says
whose it is on its first line (``辖区：中山市``) or in a ``辖区`` column.

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

import pendulum
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from plans.sheets import csv_cell, uncsv_cell, write_sheet
from plans.source import Problem
from plans.text import decode_chinese, norm

UnitKind = Literal["department", "district", "town", "other"]
KIND_NAMES: dict[str, str] = {
    "department": "部门",
    "district": "区县政府",
    "town": "镇街",
    "other": "其他",
}
_KIND_ALIASES = {v: k for k, v in KIND_NAMES.items()} | {
    "区县": "district",
    "县区": "district",
    "镇": "town",
    "街道": "town",
    "乡镇": "town",
    "镇街道": "town",
    "单位": "other",
}
ContactRole = Literal["contact", "leader", "head"]
CONTACT_ROLES: dict[str, str] = {"contact": "经办人", "leader": "分管领导", "head": "主要负责人"}
_SPLIT = re.compile(r"[;；、,，|\n]+")
# kind:SECRET_NAME, e.g. wecom_bot:ZS_FGJ_WECOM_KEY; the secret lives in the environment.
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?$")


def split_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in _SPLIT.split(str(value)) if p.strip()]


class ContactEntry(BaseModel):
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
        return not any(
            [self.name, self.mobile, self.email, self.wecom_id, self.dingtalk_id, self.channels]
        )


class UnitEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    kind: UnitKind = "department"
    parent: str | None = None
    groups: list[str] = Field(default_factory=list)
    contacts: list[ContactEntry] = Field(default_factory=list)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: object) -> object:
        if isinstance(v, str) and (v := _KIND_ALIASES.get(v, v)) not in KIND_NAMES:
            raise ValueError(f"类型“{v}”无效，应为 {'、'.join(KIND_NAMES.values())} 之一")
        return v


# Columns of the CSV/XLSX file. English headers are accepted too.
_UNIT_COLS = {
    "单位名称": "name",
    "别名": "aliases",
    "类型": "kind",
    "上级单位": "parent",
    "所属分组": "groups",
}
_COLUMN_OF = {v: k for k, v in _UNIT_COLS.items()}
_CONTACT_FIELDS = {
    "": "name",
    "手机": "mobile",
    "邮箱": "email",
    "企业微信": "wecom_id",
    "钉钉": "dingtalk_id",
    "渠道": "channels",
}
HEADERS: list[str] = list(_UNIT_COLS) + [
    f"{CONTACT_ROLES[r]}{suffix}" for r in CONTACT_ROLES for suffix in _CONTACT_FIELDS
]


_ISSUER_PLACE = re.compile(
    r"(?:中共)?([\u4e00-\u9fff]{1,8}?(?:自治州|自治县|自治区|特别行政区|"
    r"省|市|州|盟|地区|县|区|旗|镇|乡|街道))(?:人民政府|委|党委|政府|人大|政协|"
    r"管委会|管理委员会|办事处|政务公开|[\u4e00-\u9fff]{0,8}?领导小组)"
)


def jurisdiction_of_issuer(issuer: str) -> str | None:
    """The jurisdiction a notice's issuing office belongs to (资阳市人民政府办公室 → 资阳市,
    中共资阳市委办公室 → 资阳市), for offering one before any directory exists; None when
    the name does not say."""
    m = _ISSUER_PLACE.search(norm(issuer))
    return m.group(1) if m else None


def directory_positions(units: list[UnitEntry]) -> dict[str, int]:
    """Each unit's place as offices list them: the file's order, a group's units together
    (at the place of the group's first unit); a unit in no group stands where it is."""
    first: dict[str, int] = {}
    keys = []
    for i, u in enumerate(units):
        group = u.groups[0] if u.groups else f"\0{u.name}"
        first.setdefault(group, i)
        keys.append((first[group], i, u.name))
    return {name: n for n, (_, _, name) in enumerate(sorted(keys), start=1)}


def _header_key(header: str) -> tuple[str, str] | None:
    h = header.strip()
    if h in _UNIT_COLS:
        return ("unit", _UNIT_COLS[h])
    if h in _UNIT_COLS.values():
        return ("unit", h)
    for role, cn in CONTACT_ROLES.items():
        for suffix, fld in _CONTACT_FIELDS.items():
            if h in (f"{cn}{suffix}", f"{role}_{fld}", f"{cn}姓名" if fld == "name" else ""):
                return (role, fld)
    return None


@dataclass
class Directory:
    """One jurisdiction's units and groups, with lookup by any accepted spelling."""

    units: dict[str, UnitEntry]
    groups: dict[str, list[str]]
    jurisdiction: str = ""

    @classmethod
    def build(cls, units: list[UnitEntry], jurisdiction: str = "") -> Directory:
        groups: dict[str, list[str]] = {}
        for u in units:
            for g in u.groups:
                groups.setdefault(g, []).append(u.name)
        return cls({u.name: u for u in units}, groups, jurisdiction)

    def __post_init__(self) -> None:
        # Aliases first, then groups, then names: an exact name always wins, so
        # an alias can never take a name away from the unit that bears it.
        self._index: dict[str, tuple[str, str]] = {}
        for u in self.units.values():
            for a in u.aliases:
                self._index.setdefault(norm(a), ("unit", u.name))
        for g in self.groups:
            self._index[norm(g)] = ("group", g)
        for u in self.units.values():
            self._index[norm(u.name)] = ("unit", u.name)

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
            hits = {
                self._index[p + c]
                for p in ("市", "区", "县", "市直", "区直")
                if p + c in self._index
            }
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
    text = decode_chinese(path.read_bytes())  # NotChineseText names what it found
    return [[uncsv_cell(c) for c in row] for row in csv.reader(io.StringIO(text))]


def _rows_from_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


@dataclass
class DirectoryFile:
    """What a directory file holds: its jurisdiction, its units, and what is wrong in it."""

    path: Path
    jurisdiction: str | None
    units: list[UnitEntry]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


# A title line naming the jurisdiction: 辖区：中山市 (anything after a space is a caption).
_JURISDICTION_LINE = re.compile(r"^\s*辖区\s*[:：]\s*([^\s　,，;；:：]+)")
_JURISDICTION_COLS = ("辖区", "jurisdiction")
TEMPLATE_PLACEHOLDER = "请把此处改为本辖区名称"  # the title of plans.directory_template


def _title_jurisdiction(rows: list[list[str]]) -> tuple[str | None, int]:
    """The jurisdiction named above the header, and the index of the header row."""
    found = None
    for i, row in enumerate(rows[:5]):
        cells = [c.strip() for c in row if c and c.strip()]
        if any(_header_key(c) == ("unit", "name") for c in cells):
            return found, i
        if cells:
            m = _JURISDICTION_LINE.match(cells[0])
            if m:
                found = m.group(1)
            elif cells[0].rstrip(":：") == "辖区" and len(cells) > 1:
                found = cells[1]
    return found, 0


def read_directory(path: Path) -> DirectoryFile:
    """Units from a CSV/XLSX file; every bad cell is a problem naming row and column."""
    name = str(path)
    suffix = path.suffix.lower()

    def fail(message: str, line: int | None = None, fld: str = "") -> DirectoryFile:
        return DirectoryFile(path, None, [], [Problem(name, line, fld, message)])

    if not path.exists():
        return fail("文件不存在")
    try:
        if suffix == ".csv":
            rows = _rows_from_csv(path)
        elif suffix in (".xlsx", ".xlsm"):
            rows = _rows_from_xlsx(path)
        else:
            return fail("只支持 .csv 或 .xlsx 文件")
    except Exception as exc:
        return fail(f"无法读取：{exc}")
    if not rows:
        return fail("文件为空")
    jurisdiction, at = _title_jurisdiction(rows)
    header = rows[at]
    keys = [_header_key(h) for h in header]
    jcol = next((i for i, h in enumerate(header) if h.strip() in _JURISDICTION_COLS), None)
    problems = [
        Problem(name, at + 1, h, "无法识别的列名（可用列见 duban units export 的表头）", "warning")
        for i, (h, k) in enumerate(zip(header, keys, strict=True))
        if k is None and h.strip() and i != jcol
    ]
    if ("unit", "name") not in keys:
        return fail("缺少“单位名称”列", at + 1, "单位名称")
    units: list[UnitEntry] = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(rows[at + 1 :], start=at + 2):
        if not any(c.strip() for c in row):
            continue
        if jcol is not None and jcol < len(row) and row[jcol].strip():
            cell = row[jcol].strip()
            if jurisdiction is None:
                jurisdiction = cell
            elif cell != jurisdiction:
                problems.append(
                    Problem(
                        name,
                        lineno,
                        "辖区",
                        f"{cell} 与本文件的辖区 {jurisdiction} 不同："
                        "一个名录文件只能属于一个辖区，请分成两个文件",
                    )
                )
                continue
        fields: dict[str, object] = {}
        contacts: dict[str, dict[str, object]] = {}
        for key, cell in zip(keys, row, strict=False):
            if key is None or not cell.strip():
                continue
            scope, fld = key
            value: object = (
                split_list(cell) if fld in ("aliases", "groups", "channels") else cell.strip()
            )
            if scope == "unit":
                fields[fld] = value
            else:
                contacts.setdefault(scope, {"role": scope})[fld] = value
        fields["contacts"] = list(contacts.values())
        try:
            unit = UnitEntry.model_validate(fields)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                loc = _COLUMN_OF.get(loc, loc)  # the column's own heading: 类型, not kind
                problems.append(
                    Problem(name, lineno, loc, err["msg"].removeprefix("Value error, "))
                )
            continue
        if unit.name in seen:
            problems.append(
                Problem(name, lineno, "单位名称", f"{unit.name} 与第 {seen[unit.name]} 行重复")
            )
            continue
        seen[unit.name] = lineno
        units.append(unit)
    known = {u.name for u in units}
    for u in units:
        if u.parent and u.parent not in known:
            problems.append(
                Problem(name, seen[u.name], "上级单位", f"上级单位 {u.parent} 不在名录中")
            )
    problems += [
        Problem(name, seen[unit], "别名", message) for unit, message in alias_conflicts(units)
    ]
    if jurisdiction == TEMPLATE_PLACEHOLDER:  # duban units template's title, left as it was
        problems.insert(
            0,
            Problem(
                name,
                1,
                "辖区",
                f"第一行“辖区：{TEMPLATE_PLACEHOLDER}”还没有"
                "填写：请改为本辖区名称，如“辖区：资阳市”",
            ),
        )
    return DirectoryFile(path, jurisdiction, units, problems)


def alias_conflicts(
    units: list[UnitEntry], others: list[UnitEntry] | None = None
) -> list[tuple[str, str]]:
    """(unit, message) for each alias of ``units`` that is another unit's name or alias.

    ``others`` are units already in the ledger (same jurisdiction) that the
    file does not restate; their names and aliases are taken too.
    """
    owner: dict[str, str] = {}
    for u in others or []:
        for a in (u.name, *u.aliases):
            owner.setdefault(norm(a), u.name)
    found = []
    for u in units:
        for a in (u.name, *u.aliases):
            other = owner.setdefault(norm(a), u.name)
            if other != u.name:
                what = "名称" if norm(a) == norm(other) else "别名"
                found.append((u.name, f"{a} 已是 {other} 的{what}，不能再指向 {u.name}"))
    return found


def directory_rows(units: list[UnitEntry]) -> list[list[str]]:
    """Header plus one row per unit, the same layout ``read_directory`` reads."""
    rows = [HEADERS]
    for u in units:
        by_role: dict[str, ContactEntry] = {c.role: c for c in u.contacts}
        row = [
            u.name,
            "；".join(u.aliases),
            KIND_NAMES[u.kind],
            u.parent or "",
            "；".join(u.groups),
        ]
        for role in CONTACT_ROLES:
            c = by_role.get(role)
            for fld in _CONTACT_FIELDS.values():
                v = getattr(c, fld) if c else None
                row.append("；".join(v) if isinstance(v, list) else (v or ""))
        rows.append(row)
    return rows


def title_line(jurisdiction: str) -> str:
    """The first line of a directory file: whose directory it is."""
    return f"辖区：{jurisdiction}"


def write_directory(units: list[UnitEntry], path: Path | None, jurisdiction: str) -> str | None:
    """Write CSV (or XLSX by suffix), headed by its jurisdiction; with no path, return the CSV."""
    rows = directory_rows(units)
    if path is not None and path.suffix.lower() == ".xlsx":
        today = pendulum.today("Asia/Shanghai").format("YYYY年M月D日")
        write_sheet(
            path,
            title=f"{title_line(jurisdiction)}　单位名录（{len(units)} 个单位，{today}导出）",
            sheet="单位名录",
            header=rows[0],
            rows=rows[1:],
        )
        return None
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(
        [[title_line(jurisdiction)], *[[csv_cell(c) for c in r] for r in rows]]
    )
    if path is None:
        return buf.getvalue()
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return None
