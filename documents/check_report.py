"""The check report (检查报告): a check's numbers as a 公文, in Markdown and Word.

Named as an office files it: ``<plan>-检查-<date>.md`` and its .docx beside it in
the data directory's checks/.
"""

from __future__ import annotations

from pathlib import Path

from documents.render import docx_beside
from ledger.checks import CheckReport
from plans.text import md_escape


def render_markdown(report: CheckReport) -> str:
    """The report in the 公文 Markdown convention (``documents.gongwen``): issuing office,
    title, body, table, signature and date; never internal ids."""
    e = md_escape  # names and titles come from plan and directory files
    source = f"《{e(report.title)}》" + (f"（{e(report.doc_no)}）" if report.doc_no else "")
    lines = [
        f"# {e(report.issuer)}",
        "",
        f"## 关于{source}落实情况的检查报告",
        "",
        f"根据{source}，截至{report.at.format('YYYY年M月D日 HH:mm')}，"
        "对各单位应完成事项的落实情况检查如下。",
        "",
        "| 单位 | 应完成 | 按时完成 | 逾期完成 | 待审核 | 未完成 | 完成率 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for u in report.units:
        lines.append(
            f"| {e(u.unit)} | {u.due} | {u.on_time} | {u.late} | {u.reported} | "
            f"{u.missing} | {u.rate:.0%} |"
        )
    total_due = sum(u.due for u in report.units)
    total_done = sum(u.done for u in report.units)
    rate = total_done / total_due if total_due else 1.0
    lines += [
        "",
        f"合计：{len(report.units)} 个单位应完成 {total_due} 项，已完成 {total_done} 项，"
        f"完成率 {rate:.0%}；{len(report.lagging)} 个单位有未完成事项。",
        "",
    ]
    if report.lagging:
        lines += ["## 未完成事项", "", "| 单位 | 未完成事项（期限） |", "| --- | --- |"]
        lines += [f"| {e(u.unit)} | {e(u.missing_text)} |" for u in report.lagging]
        lines.append("")
    lines += [e(report.issuer), "", report.at.format("YYYY年M月D日")]
    return "\n".join(lines) + "\n"


def write_check_report(report: CheckReport, folder: Path) -> Path:
    """Write the report's Markdown; returns its path (``word_copy`` makes the .docx)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.plan}-检查-{report.at.format('YYYY-MM-DD')}.md"
    path.write_text(render_markdown(report), encoding="utf-8")
    return path


def word_copy(markdown: Path) -> Path:
    """The report's Word copy beside its Markdown (outside any ledger transaction)."""
    return docx_beside(markdown)
