"""The completion chart, drawn on the server as SVG: no script, prints as it shows."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from ledger.progress_chart import Series

W, H, PAD = 640, 220, 40


def completion_chart(series: Series, total: int) -> str:
    """Two step lines over the plan's days: milestones due by then (grey, dashed) and
    closed by then (green), out of ``total`` (the milestones the board shows)."""
    if total == 0:
        return ""
    first, last = series.start, max(series.end, series.start + dt.timedelta(days=1))
    span = (last - first).days

    def x(day: dt.date) -> float:
        return PAD + (W - 2 * PAD) * (min(max(day, first), last) - first).days / span

    def y(n: int) -> float:
        return H - PAD - (H - 2 * PAD) * n / total

    def steps(points: list[tuple[dt.date, int]]) -> str:
        """A count holds until the day it changes, then jumps: a step, not a slope."""
        out, n = [f"{x(first):.1f},{y(0):.1f}"], 0
        for day, value in points:
            out += [f"{x(day):.1f},{y(n):.1f}", f"{x(day):.1f},{y(value):.1f}"]
            n = value
        out.append(f"{x(last):.1f},{y(n):.1f}")
        return " ".join(out)

    ticks = "".join(
        f'<text x="{PAD - 6}" y="{y(round(total * f)) + 4:.1f}" text-anchor="end">'
        f"{round(total * f)}</text>"
        for f in (0, 0.5, 1)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="完成进度：已完成 {series.closed_total}，已到期 {series.due_total}，'
        f'共 {total}" class="chart" font-size="12" font-family="sans-serif">'
        f'<rect x="{PAD}" y="{PAD}" width="{W - 2 * PAD}" height="{H - 2 * PAD}" fill="#fff" '
        f'stroke="#ccd"/>{ticks}'
        f'<polyline points="{steps(series.due)}" fill="none" stroke="#999" '
        f'stroke-dasharray="4 3" stroke-width="2"/>'
        f'<polyline points="{steps(series.closed)}" fill="none" stroke="#1a7f37" '
        f'stroke-width="2.5"/>'
        f'<text x="{PAD}" y="{H - 12}">{escape(first.isoformat())}</text>'
        f'<text x="{W - PAD}" y="{H - 12}" text-anchor="end">{escape(last.isoformat())}</text>'
        f'<text x="{PAD + 6}" y="{PAD - 8}" fill="#1a7f37">— 已完成 {series.closed_total}</text>'
        f'<text x="{PAD + 140}" y="{PAD - 8}" fill="#777">- - 已到期 {series.due_total}</text>'
        f'<text x="{W - PAD}" y="{PAD - 8}" text-anchor="end" fill="#777">共 {total} 个节点</text>'
        f"</svg>"
    )
