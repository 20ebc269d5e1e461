"""``duban import``: a task-division notice read into a plan draft (``plans.importer``).
``duban.cli`` registers the command."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from duban.cli.common import fail, out, print_problems
from plans.directory import Directory, DirectoryFile, read_directory


def _read_units(path: Path) -> DirectoryFile:
    """A directory file, or exit naming each bad row."""
    df = read_directory(path)
    if df.errors:
        print_problems(df.problems)
        raise fail(f"单位名录 {path} 有错误，请先改正")
    return df


def import_cmd(
    notice: Annotated[
        Path, typer.Argument(help="通知文件：.docx/.doc/.wps、.pdf、.xlsx/.xls、.html 或 .txt")
    ],
    json_out: Annotated[Path | None, typer.Option("--json", help="按抽取格式写出 JSON")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="计划草稿 YAML 的路径")] = None,
    diff: Annotated[Path | None, typer.Option("--diff", help="与已有计划比较，列出变化")] = None,
    units: Annotated[
        Path | None,
        typer.Option(
            "--units", help="单位名录（CSV/XLSX）：逐一核对单位名称，不在名录中的给出最接近的名称"
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="计划草稿文件已存在时覆盖它（人工核对过的内容会丢失）")
    ] = False,
) -> None:
    """读取任务分工通知，生成计划草稿和待核对清单（未识别准的字段逐项列出，绝不静默猜测）。

    例：duban import 通知.docx --units plans/units/chongqing.csv --out plans/chongqing-2021.yaml
        duban import 新通知.txt --diff plans/chongqing-2021.yaml
    """
    from plans.importer import diff_plans, draft_plan, draft_yaml, extract
    from plans.notice_limits import NoticeProblem

    df = _read_units(units) if units is not None else None
    directory = Directory.build(df.units, df.jurisdiction or "") if df is not None else None
    try:
        ex = extract(notice, directory)
    except NoticeProblem as exc:
        raise fail(str(exc)) from exc
    target = out_file or Path(f"{notice.stem}.plan.yaml")
    rel = os.path.relpath(units.resolve(), target.resolve().parent) if units else None
    plan = draft_plan(ex, rel, df.jurisdiction if df is not None else None)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(
            json.dumps(ex.as_format(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if diff:
        from plans.source import SourceError, load_yaml

        try:
            old = load_yaml(diff)[0] or {}  # bounded as plan files are (nesting, aliases)
        except SourceError as exc:
            raise fail(str(exc)) from exc
        changes, reviewed = diff_plans(old, plan)
        out.print("\n".join(changes) if changes else "与现有计划相比没有变化。", markup=False)
        if reviewed:
            out.print(
                f"（另有 {reviewed} 处人工核对过的字段与新通知的读取不同，按核对结果保留，"
                "未列出：见各条 note 中的“核对[…]”）",
                markup=False,
            )
        return
    if out_file or not json_out:
        if target.exists() and not force:
            raise fail(
                f"{target} 已存在（其中可能有人工核对过的内容），没有覆盖。"
                f"换一个 --out 路径；或用 --diff {target} 查看新通知带来的变化；"
                "确定要覆盖时加 --force"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(draft_yaml(ex, plan), encoding="utf-8")
        out.print(f"计划草稿：{target}")
    meta = ex.meta
    out.print(
        f"《{meta['title'].value if 'title' in meta else notice.name}》"
        f"{meta['doc_no'].value if 'doc_no' in meta else ''}：任务 {len(ex.tasks)} 项，"
        f"检查节点 {len(ex.checkpoints)} 个，待核对 {len(ex.review)} 处。"
    )
    for r in ex.review:
        out.print(f"  - {r}", markup=False)
