"""Small server-side SVG charts (items per hour, latency per hour): no script library,
nothing fetched, every label escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html import escape

WIDTH, HEIGHT = 480, 120
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 28, 18, 6
LEGEND_H = 14  # the latency chart's legend row, above the plot
LATENCY_PAD_LEFT = 50  # room for "99999 s" (a day is 86400 s)


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
    parts += _hour_ticks(start, hours, slot)
    parts.append("</svg>")
    return "".join(parts)


Series = Sequence[float | None]  # one value per hour; None: nothing measured that hour


def latency_svg(
    start: datetime, classes: Mapping[str, tuple[Series, Series]], *, label: str
) -> str:
    """Per urgency class, ``(p50, p95)`` seconds per hour: p95 solid, p50 dashed, a legend.

    An hour without a value breaks the line rather than drawing it down to zero; each
    value is also a dot (an hour alone between gaps still shows) titled with its number.
    """
    hours = max((len(p95) for _, p95 in classes.values()), default=24)
    values = [v for pair in classes.values() for series in pair for v in series if v is not None]
    top = max([*values, 1.0])
    left = LATENCY_PAD_LEFT
    plot_w, plot_h = WIDTH - left, HEIGHT - PAD_BOTTOM - PAD_TOP - LEGEND_H
    base = PAD_TOP + LEGEND_H + plot_h
    slot = plot_w / hours
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart latency" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f'<text class="axis" x="{left - 4}" y="{base - plot_h + 8}" '
        f'text-anchor="end">{_seconds(top)}</text>',
        f'<text class="axis" x="{left - 4}" y="{base}" text-anchor="end">0 s</text>',
        f'<line class="base" x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}"/>',
    ]
    x_legend = left
    for name, (p50, p95) in classes.items():
        cls = escape(name)
        for kind, series in (("p50", p50), ("p95", p95)):  # a p95 dot covers an equal p50
            points = [(i, v, left + (i + 0.5) * slot, base - plot_h * v / top)
                      for i, v in enumerate(series) if v is not None]
            parts.append(
                f'<path class="line {kind} {cls}" data-class="{cls}" data-kind="{kind}" '
                f'd="{_path(points)}"><title>{cls} {kind}</title></path>'
            )
            parts += [
                f'<circle class="dot {kind} {cls}" cx="{x:.1f}" cy="{y:.1f}" r="2">'
                f"<title>{start + timedelta(hours=i):%H}:00 UTC: {cls} {kind} "
                f"{_seconds(v)}</title></circle>"
                for i, v, x, y in points
            ]
        parts.append(
            f'<line class="line p95 {cls}" x1="{x_legend}" y1="{PAD_TOP + 5}" '
            f'x2="{x_legend + 14}" y2="{PAD_TOP + 5}"/>'
            f'<text class="axis legend" x="{x_legend + 18}" y="{PAD_TOP + 9}">{cls}</text>'
        )
        x_legend += 24 + 7 * len(name)
    parts.append(
        f'<text class="axis legend" x="{WIDTH}" y="{PAD_TOP + 9}" text-anchor="end">'
        "solid p95, dashed p50</text>"
    )
    parts += _hour_ticks(start, hours, slot, left=left)
    parts.append("</svg>")
    return "".join(parts)


def _hour_ticks(start: datetime, hours: int, slot: float, *, left: int = PAD_LEFT) -> list[str]:
    """The hour under every sixth slot."""
    return [
        f'<text class="axis" x="{left + i * slot + 1:.1f}" y="{HEIGHT - 4}">'
        f"{start + timedelta(hours=i):%H}h</text>"
        for i in range(0, hours, 6)
    ]


def _path(points: Sequence[tuple[int, float, float, float]]) -> str:
    """``M``oves where a line starts again after an hour without a value, ``L``ines
    between neighbouring hours."""
    out, previous = [], None
    for i, _, x, y in points:
        out.append(f"{'L' if previous == i - 1 else 'M'}{x:.1f},{y:.1f}")
        previous = i
    return " ".join(out)


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"
