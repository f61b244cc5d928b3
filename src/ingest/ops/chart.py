"""A small server-side SVG bar chart of items per hour: no script library, nothing fetched."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

WIDTH, HEIGHT = 480, 120
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 28, 18, 6


def hourly_svg(start: datetime, ingested: list[int], quarantined: list[int], *, label: str) -> str:
    """Ingested (bars) and quarantined (stacked in red) per hour, hour ticks every 6 hours."""
    hours = len(ingested)
    top = max([a + b for a, b in zip(ingested, quarantined, strict=True)] + [1])
    plot_w, plot_h = WIDTH - PAD_LEFT, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / hours
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">',
        f'<text class="axis" x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">{top}</text>',
        f'<text class="axis" x="{PAD_LEFT - 4}" y="{PAD_TOP + plot_h}" text-anchor="end">0</text>',
        f'<line class="base" x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH}" '
        f'y2="{PAD_TOP + plot_h}"/>',
    ]
    for i, (ok, bad) in enumerate(zip(ingested, quarantined, strict=True)):
        x = PAD_LEFT + i * slot + 1
        hour = start + timedelta(hours=i)
        y = float(PAD_TOP + plot_h)
        for kind, n in (("ingested", ok), ("quarantined", bad)):
            if n:
                h = plot_h * n / top
                y -= h
                parts.append(
                    f'<rect class="{kind}" data-hour="{hour:%H}" data-count="{n}" x="{x:.1f}" '
                    f'y="{y:.1f}" width="{slot - 2:.1f}" height="{h:.1f}">'
                    f"<title>{hour:%H}:00 UTC: {n} {kind}</title></rect>"
                )
        if i % 6 == 0:
            parts.append(
                f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 4}">{hour:%H}h</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
