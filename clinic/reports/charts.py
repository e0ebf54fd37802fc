"""Charts as accessible inline SVG, drawn on the server.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``, with labelled
axes, and the page puts the same numbers in a table right after it, so a screen reader, a
printout and a spreadsheet all get the data. No script and no style attributes (a strict CSP
stays on): colours come from CSS classes in reports.css. Every element is built with
``Markup.format``, which escapes each label.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup

WIDTH = 720
LABEL_WIDTH = 290  # room for a condition page's path: "/conditions/rheumatoid-arthritis"
BAR_HEIGHT = 22
BAR_GAP = 8
TOP = 16
BOTTOM = 48
LABEL_MAX = 38
HEAT_LEVELS = 5
NO_VALUE = "—"  # as the tables print a median of nothing

_SVG = Markup(
    '<svg class="chart__svg" role="img" viewBox="0 0 {width} {height}" '
    'aria-labelledby="{id}-title {id}-desc" focusable="false">'
    '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
)
_GRID = Markup(
    '<line class="chart__grid" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
)
_AXIS = Markup(
    '<line class="chart__axis" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
)
_TEXT = Markup('<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{text}</text>')
_VERTICAL_TEXT = Markup(
    '<text class="chart__axis-label" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" '
    'transform="rotate(-90 {x:.1f} {y:.1f})">{text}</text>'
)
_RECT = Markup('<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"/>')


def _short(label: str, limit: int = LABEL_MAX) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(chart_id: str, title: str, desc: str, height: float, body: list[Markup]) -> Markup:
    head = _SVG.format(width=WIDTH, height=math.ceil(height), id=chart_id, title=title, desc=desc)
    return head + Markup("").join(body) + Markup("</svg>")


def _text(x: float, y: float, text: str, *, cls: str = "chart__tick", anchor: str = "start"):
    return _TEXT.format(cls=cls, x=x, y=y, anchor=anchor, text=text)


def _ticks(maximum: float) -> list[float]:
    """A handful of round gridline values from 0 up to at least ``maximum``."""
    if maximum <= 5:
        return [float(n) for n in range(max(math.ceil(maximum), 1) + 1)]
    magnitude = 10 ** math.floor(math.log10(maximum))
    for step in (magnitude / 5, magnitude / 2, magnitude, magnitude * 2, magnitude * 5):
        count = math.ceil(maximum / step)
        if count <= 5:
            return [step * n for n in range(count + 1)]
    return [0.0, float(maximum)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float | None]],
    *,
    value_axis: str,
    category_axis: str,
    value_text: Callable[[float], str] = _number,
) -> Markup:
    """Horizontal bars, one per row, with the value printed at the end of each bar. A row
    without a value (a median of nothing) gets no bar and the table's dash, not a bar of 0."""
    left, right = LABEL_WIDTH, WIDTH - 80
    plot_height = max(len(rows), 1) * (BAR_HEIGHT + BAR_GAP)
    # The category axis's name runs up the left edge: a chart of one or two bars is shorter
    # than "Coordinator", so the name is centred low enough, and the chart made tall enough,
    # for all of it to show.
    half_name = _text_length(category_axis) / 2 + 4
    height = max(TOP + plot_height + BOTTOM, 2 * half_name)
    ticks = _ticks(max((value for _, value in rows if value is not None), default=0))
    scale = (right - left) / (ticks[-1] or 1)
    body = []
    for tick in ticks:
        x = left + tick * scale
        body.append(_GRID.format(x1=x, y1=TOP, x2=x, y2=TOP + plot_height))
        body.append(_text(x, TOP + plot_height + 16, _number(tick), anchor="middle"))
    for index, (label, value) in enumerate(rows):
        y = TOP + index * (BAR_HEIGHT + BAR_GAP)
        baseline = y + BAR_HEIGHT * 0.7
        body.append(_text(left - 8, baseline, _short(label), cls="chart__label", anchor="end"))
        if value is None:
            body.append(_text(left + 6, baseline, NO_VALUE, cls="chart__value"))
            continue
        width = max(value * scale, 0)
        body.append(_RECT.format(cls="chart__bar", x=left, y=y, w=width, h=BAR_HEIGHT))
        body.append(_text(left + width + 6, baseline, value_text(value), cls="chart__value"))
    body.append(_AXIS.format(x1=left, y1=TOP, x2=left, y2=TOP + plot_height))
    body.append(
        _text((left + right) / 2, height - 8, value_axis, cls="chart__axis-label", anchor="middle")
    )
    middle = max(TOP + plot_height / 2, half_name)
    body.append(_VERTICAL_TEXT.format(x=12, y=middle, text=category_axis))
    return _svg(chart_id, title, desc, height, body)


def _text_length(text: str) -> float:
    """A generous width of an axis name in the chart's units (13 px semibold sans-serif)."""
    return 8 * len(text)


def column_chart(
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[tuple[str, float]],
    *,
    value_axis: str,
    category_axis: str,
    label_every: int = 4,
) -> Markup:
    """Vertical columns over time (e.g. one per week), every n-th category labelled."""
    left, right, top, bottom = 64, WIDTH - 12, TOP, 240
    height = bottom + BOTTOM + 16
    ticks = _ticks(max((value for _, value in points), default=0))
    scale = (bottom - top) / (ticks[-1] or 1)
    slot = (right - left) / max(len(points), 1)
    body = []
    for tick in ticks:
        y = bottom - tick * scale
        body.append(_GRID.format(x1=left, y1=y, x2=right, y2=y))
        body.append(_text(left - 6, y + 4, _number(tick), anchor="end"))
    for index, (label, value) in enumerate(points):
        x = left + index * slot
        bar = value * scale
        body.append(
            _RECT.format(cls="chart__bar", x=x + slot * 0.15, y=bottom - bar, w=slot * 0.7, h=bar)
        )
        if index % label_every == 0:
            body.append(_text(x + slot / 2, bottom + 16, label, anchor="middle"))
    body.append(_AXIS.format(x1=left, y1=bottom, x2=right, y2=bottom))
    body.append(
        _text(
            (left + right) / 2, height - 8, category_axis, cls="chart__axis-label", anchor="middle"
        )
    )
    body.append(_VERTICAL_TEXT.format(x=14, y=(top + bottom) / 2, text=value_axis))
    return _svg(chart_id, title, desc, height, body)


def heatmap(
    chart_id: str,
    title: str,
    desc: str,
    grid: Sequence[Sequence[int]],
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    row_axis: str,
    column_axis: str,
) -> Markup:
    """A grid of cells shaded in five steps by count (e.g. weekday × hour of day)."""
    left, top = 64, TOP
    columns = max((len(row) for row in grid), default=0) or 1
    cell = (WIDTH - left - 12) / columns
    grid_bottom = top + len(grid) * cell
    height = grid_bottom + BOTTOM + 8
    peak = max((value for row in grid for value in row), default=0)
    body = []
    for r, row in enumerate(grid):
        y = top + r * cell
        body.append(
            _text(left - 8, y + cell * 0.65, row_labels[r], cls="chart__label", anchor="end")
        )
        for c, value in enumerate(row):
            level = 0 if not value or not peak else 1 + (value * (HEAT_LEVELS - 1)) // peak
            body.append(
                _RECT.format(
                    cls=f"chart__heat chart__heat--{level}",
                    x=left + c * cell,
                    y=y,
                    w=cell - 1,
                    h=cell - 1,
                )
            )
    for c, label in enumerate(column_labels):
        if c % 3 == 0:
            body.append(_text(left + c * cell + cell / 2, grid_bottom + 16, label, anchor="middle"))
    body.append(
        _text((left + WIDTH) / 2, height - 8, column_axis, cls="chart__axis-label", anchor="middle")
    )
    body.append(_VERTICAL_TEXT.format(x=12, y=(top + grid_bottom) / 2, text=row_axis))
    return _svg(chart_id, title, desc, height, body)
