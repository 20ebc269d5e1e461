"""The completion chart, drawn on the server as SVG: no script, prints as it shows."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

W, H, PAD = 640, 220, 40


def completion_chart(points: list[tuple[dt.date, int, int]], total: int) -> str:
    """Two lines over time: milestones due by then (grey) and closed by then (green)."""
    if not points or total == 0:
        return ""
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)

    def xy(day: dt.date, n: int) -> str:
        x = PAD + (W - 2 * PAD) * (day - first).days / span
        y = H - PAD - (H - 2 * PAD) * n / total
        return f"{x:.1f},{y:.1f}"

    due = " ".join(xy(d, n) for d, _, n in points)
    done = " ".join(xy(d, n) for d, n, _ in points)
    ticks = "".join(
        f'<text x="{PAD - 6}" y="{H - PAD - (H - 2 * PAD) * f + 4:.1f}" text-anchor="end">'
        f"{round(total * f)}</text>" for f in (0, 0.5, 1))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="完成进度" class="chart" font-size="12">'
        f'<rect x="{PAD}" y="{PAD}" width="{W - 2 * PAD}" height="{H - 2 * PAD}" fill="#fff" '
        f'stroke="#ccd"/>{ticks}'
        f'<polyline points="{due}" fill="none" stroke="#999" stroke-dasharray="4 3" '
        f'stroke-width="2"/>'
        f'<polyline points="{done}" fill="none" stroke="#1a7f37" stroke-width="2.5"/>'
        f'<text x="{PAD}" y="{H - 12}">{escape(first.isoformat())}</text>'
        f'<text x="{W - PAD}" y="{H - 12}" text-anchor="end">{escape(last.isoformat())}</text>'
        f'<text x="{PAD + 6}" y="{PAD - 8}" fill="#1a7f37">— 已完成 {points[-1][1]}</text>'
        f'<text x="{PAD + 140}" y="{PAD - 8}" fill="#777">- - 已到期 {points[-1][2]}</text>'
        f"</svg>")
