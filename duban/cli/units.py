"""``duban units``: a jurisdiction's unit directory: import, export, blank template."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from duban.cli.common import actor, fail, group, open_db, out, print_problems
from ledger import config
from ledger.db import transaction
from ledger.directory_sync import DirectoryError, jurisdictions, ledger_units
from ledger.load import DirectoryDrift, import_directory
from plans.directory import DirectoryFile, read_directory, write_directory

units_app = group("单位名录（按辖区）：空白模板、导入、导出。")


def _jurisdiction_of(df: DirectoryFile, given: str | None) -> str:
    if given and df.jurisdiction and given != df.jurisdiction:
        raise fail(f"{df.path} 第一行写明辖区为 {df.jurisdiction}，与 --jurisdiction {given} 不同")
    j = given or df.jurisdiction
    if not j:
        raise fail(
            f"{df.path} 没有写明辖区：在第一行写“辖区：中山市”（或加一列“辖区”），"
            "或用 --jurisdiction 中山市 指定"
        )
    return j


@units_app.command("import")
def units_import(
    file: Annotated[Path, typer.Argument(help="单位名录 CSV 或 XLSX")],
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", help="名录所属辖区（如 中山市）；缺省取文件第一行“辖区：…”"),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="本辖区中文件里没有的单位标记为停用")
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="确认：名录变化会改动已加载计划的分工、分组或联系人时照此执行"),
    ] = False,
) -> None:
    """导入一个辖区的单位名录（每行一个单位：名称、别名、类型、分组、经办人/分管领导/主要负责人
    联系方式）。同名单位在不同辖区是不同的单位。有任何错误则整个文件不导入；
    别名与本辖区其他单位的名称或别名相同的，拒绝导入。
    如果导入会改动已加载计划的工作（分工新增或归档、单位调整分组、联系人删除），
    先列出这些改动，不加 --yes 不作任何改动；加 --yes 则导入并同步这些计划。

    例：duban units import plans/units/zhongshan.csv
        duban units import 名录.xlsx --jurisdiction 中山市 --yes
    """
    df = read_directory(file)
    print_problems(df.problems)
    if df.errors:
        raise fail(f"{file}: 有错误，未导入任何单位。")
    j = _jurisdiction_of(df, jurisdiction)
    factory = open_db()
    try:
        with factory() as s, s.begin() as tx:
            r = import_directory(
                s, df.units, jurisdiction=j, cal=config.calendar(), actor=actor(), replace=replace
            )
            if r.touches_plans and not yes:
                tx.rollback()
    except (DirectoryError, DirectoryDrift) as exc:
        raise fail(f"{file}: 未导入任何单位：{exc}") from exc
    if r.touches_plans and not yes:
        out.print(f"导入 {file}（{j}）将改动已加载的计划：")
        for line in r.lines():
            out.print(f"  - {line}", markup=False)
        raise fail("未作任何改动。核对无误后加 --yes 重新运行。")
    sync = r.sync
    out.print(
        f"[green]已导入 {file}[/green]（{j}）：新增 {len(sync.created)}，"
        f"更新 {len(sync.updated)}，未变 {sync.unchanged}"
        + (f"，停用 {len(sync.deactivated)}" if sync.deactivated else "")
        + "。"
    )
    for line in r.lines():
        out.print(f"  - {line}", markup=False)


@units_app.command("export")
def units_export(
    output: Annotated[
        Path | None, typer.Option("--out", help="写入 .csv 或 .xlsx；缺省输出到屏幕")
    ] = None,
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", help="导出哪个辖区的名录；台账中只有一个辖区时可省略"),
    ] = None,
) -> None:
    """导出一个辖区的单位名录，格式与导入相同（第一行写明辖区，可直接再导入）。
    XLSX 带标题行、加粗冻结的表头、列宽和 A4 横向打印设置。

    例：duban units export --out 单位名录.xlsx
    """
    with transaction(open_db()) as s:
        known = jurisdictions(s)
        if jurisdiction is None and len(known) > 1:
            raise fail(f"台账中有多个辖区（{'、'.join(known)}），请用 --jurisdiction 指定")
        j = jurisdiction if jurisdiction is not None else (known[0] if known else "")
        if jurisdiction is not None and jurisdiction not in known:
            raise fail(
                f"台账中没有辖区 {jurisdiction}。已有：{'、'.join(known) or '无'}。"
                f"新辖区请先用 duban units template --out {jurisdiction}单位名录.xlsx "
                f"--jurisdiction {jurisdiction} 生成空白名录，填好后用 duban units import "
                "导入（或在网页“单位名录”页上传）。"
            )
        units = ledger_units(s, j)
    text = write_directory(units, output, j)
    if text is not None:
        sys.stdout.write(text)
    else:
        out.print(f"已导出{j}的 {len(units)} 个单位到 {output}")


@units_app.command("template")
def units_template(
    output: Annotated[Path, typer.Option("--out", help="写入的 .xlsx 文件")] = Path(
        "单位名录.xlsx"
    ),
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", help="写在第一行的辖区名称（如 资阳市）；缺省留待填写"),
    ] = None,
) -> None:
    """生成空白单位名录（.xlsx）：表头、一行示例，第二张表逐列说明怎么填。
    新辖区还没有名录可导出时用它；填好后在网页“单位名录”页上传，或用 duban units import 导入。

    例：duban units template --out 资阳市单位名录.xlsx --jurisdiction 资阳市
    """
    from plans.directory_template import write_template

    if output.suffix.lower() != ".xlsx":
        raise fail(f"{output}：空白名录只写成 .xlsx（Excel）文件，请换成 .xlsx 结尾的文件名")
    if output.exists():
        raise fail(f"{output} 已存在，未覆盖：请换一个文件名，或先移走它")
    write_template(output, jurisdiction)
    out.print(
        f"已写入空白名录 {output}：在“单位名录”表中每行填一个单位（第3行是示例），"
        "各列的填法见“填写说明”表。"
    )
