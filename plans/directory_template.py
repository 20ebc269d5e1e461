"""The blank directory an office fills in: ``duban units template``.

A new jurisdiction has no directory to export, so it gets this one: the
header ``read_directory`` reads, one example row, and a second sheet that says
what goes in each column. The title line asks for the jurisdiction's name;
a file imported with the request still in it is refused, naming the line.
"""

from __future__ import annotations

from pathlib import Path

from plans.directory import CONTACT_ROLES, HEADERS, KIND_NAMES, title_line
from plans.directory import TEMPLATE_PLACEHOLDER as PLACEHOLDER
from plans.sheets import write_sheet

EXAMPLE = {
    "单位名称": "市人民政府办公室",
    "别名": "市政府办公室；市府办",
    "类型": "部门",
    "所属分组": "市直各部门",
    "经办人": "张三",
    "经办人手机": "13800000000",
    "经办人邮箱": "zhangsan@example.gov.cn",
    "经办人渠道": "sms；email",
    "分管领导": "李四",
    "分管领导手机": "13900000000",
    "主要负责人": "王五",
}

_KINDS = "、".join(KIND_NAMES.values())
_CONTACT = {
    "": ("{role}姓名。", "张三"),
    "手机": ("{role}手机号，短信发到这里。", "13800000000"),
    "邮箱": ("{role}邮箱，邮件发到这里。", "zhangsan@example.gov.cn"),
    "企业微信": ("{role}的企业微信账号（UserID），用企业微信应用发消息时填。", "zhangsan"),
    "钉钉": ("{role}的钉钉账号（userid），用钉钉工作通知时填。", "manager1234"),
    "渠道": (
        "发给{role}用哪些渠道，多个用“；”隔开：sms（短信）、email（邮件），"
        "或群机器人“wecom_bot:密钥名称”“dingtalk_bot:密钥名称”“feishu_bot:密钥名称”"
        "（密钥本身放在环境变量中，不要写进名录）。不填则按计划的缺省渠道（短信和邮件）。",
        "sms；email",
    ),
}
_UNIT = {
    "单位名称": (
        "必填。单位全称，一个单位一行，同一辖区内不能重复。通知中的简称写在“别名”里。",
        "市人民政府办公室",
    ),
    "别名": (
        "通知里出现的其他叫法，多个用“；”隔开。不能与本辖区其他单位的名称或别名相同。",
        "市政府办公室；市府办",
    ),
    "类型": (f"{_KINDS}之一；不填为部门。", "部门"),
    "上级单位": ("上级单位的名称（须也在本名录中），如镇街所属的区县；没有则不填。", ""),
    "所属分组": (
        "通知中“各县（区）政府”“市直各部门”这类统称，多个用“；”隔开。"
        "同一分组的单位在各种名单中排在一起。",
        "市直各部门",
    ),
}
_ROLE_NOTES = {
    "contact": "经办人收到提醒和催办。",
    "leader": "分管领导收到督办。",
    "head": "主要负责人收到通报。",
}


def column_notes() -> list[list[str]]:
    """列名, 说明, 示例 for each column of the directory, in the file's order."""
    rows = []
    for header in HEADERS:
        if header in _UNIT:
            note, example = _UNIT[header]
        else:
            role = next(r for r in CONTACT_ROLES if header.startswith(CONTACT_ROLES[r]))
            suffix = header.removeprefix(CONTACT_ROLES[role])
            note, example = _CONTACT[suffix]
            note = note.format(role=CONTACT_ROLES[role]) + ("" if suffix else _ROLE_NOTES[role])
        rows.append([header, note, example])
    return rows


def write_template(path: Path, jurisdiction: str | None = None) -> None:
    """The blank directory as .xlsx: sheet 1 to fill in, sheet 2 to read."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    write_sheet(
        path,
        title=f"{title_line(jurisdiction or PLACEHOLDER)}　单位名录"
        "（第3行是示例，请改写或删除；各列的填法见“填写说明”）",
        sheet="单位名录",
        header=HEADERS,
        rows=[[EXAMPLE.get(h, "") for h in HEADERS]],
    )
    wb = load_workbook(path)
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "说明", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in column_notes():
        notes.append(row)
    notes.append([])
    notes.append(
        ["第一行", "像“辖区：资阳市”这样写明名录属于哪个辖区；同名单位在不同辖区是不同的单位。", ""]
    )
    notes.append(
        [
            "导入",
            "填好后在网页“单位名录”页上传，或用 duban units import 文件.xlsx 导入；"
            "有错误时整个文件不导入，并指出行号和列名。",
            "",
        ]
    )
    for width, col in ((16, "A"), (80, "B"), (28, "C")):
        notes.column_dimensions[col].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    wb.save(path)
