"""Bar charts per month as plain geometry for an inline SVG: no JavaScript, no library.

`bar_chart` lays out up to a few series side by side in each month; the template
(`programme/_chart.html`) draws the rectangles and labels. The numbers are always in a table
beside the chart, so the chart is a picture with a name (`role="img"`), not the data itself.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import has_request_context
from flask_babel import format_date

# A narrow picture: its labels stay legible scaled down to a phone, and the stylesheet caps
# its width on wide screens.
WIDTH, HEIGHT = 400, 220
LEFT, RIGHT, TOP, BOTTOM = 30, 4, 10, 36
# Colours of the series, in order: 3:1 or more against the white card (WCAG 1.4.11), and
# apart in lightness and hue (teal and amber stay distinct in the common colour blindnesses).
COLOURS = ("#1f6f64", "#c07a12", "#4c5a61")


@dataclass(frozen=True)
class Bar:
    """One rectangle, in the chart's coordinates, and what it stands for."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    value: int


@dataclass(frozen=True)
class Tick:
    """A horizontal grid line with its value."""

    y: float
    value: int


@dataclass(frozen=True)
class MonthLabel:
    """A month's name under its bars, with the year under January and the first month."""

    x: float
    name: str
    year: str


@dataclass(frozen=True)
class Chart:
    """A whole chart: its name, legend, bars, grid and month labels."""

    id: str
    title: str
    legend: tuple[tuple[str, str], ...]  # (label, colour)
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    months: tuple[MonthLabel, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    base: int = HEIGHT - BOTTOM


def nice_top(largest: int) -> int:
    """A round top for the scale at or above `largest`: 4, 10, 20, 50, 100, 250 ..."""
    if largest <= 4:
        return 4
    magnitude: int = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= largest:
            return int(step * magnitude)
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _month_abbr(year: int, month: int) -> str:
    """A month's short name, in the reader's language when there is a request."""
    if has_request_context():
        return str(format_date(date(year, month, 1), "MMM"))
    return calendar.month_abbr[month]


def bar_chart(
    chart_id: str,
    title: str,
    months: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
) -> Chart:
    """Bars for `series` (label, value per month), months given as "YYYY-MM", oldest first."""
    top = nice_top(max((v or 0 for _, values in series for v in values), default=0))
    inner = HEIGHT - TOP - BOTTOM
    span = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    width = span * 0.76 / max(len(series), 1)
    bars = []
    for index in range(len(months)):
        start = LEFT + index * span + span * 0.12
        for number, (_label, values) in enumerate(series):
            value = values[index] or 0
            height = inner * value / top
            bars.append(
                Bar(
                    round(start + number * width, 2),
                    round(HEIGHT - BOTTOM - height, 2),
                    round(width - 1, 2),
                    round(height, 2),
                    COLOURS[number % len(COLOURS)],
                    value,
                )
            )
    ticks = tuple(
        Tick(round(HEIGHT - BOTTOM - inner * part / 4, 2), round(top * part / 4))
        for part in range(5)
        if top * part % 4 == 0  # only whole numbers on the scale
    )
    labels = []
    for index, month in enumerate(months):
        year, month_number = month.split("-")
        shown_year = year if index == 0 or month_number == "01" else ""
        labels.append(
            MonthLabel(
                round(LEFT + (index + 0.5) * span, 2),
                _month_abbr(int(year), int(month_number)),
                shown_year,
            )
        )
    legend = tuple(
        (label, COLOURS[number % len(COLOURS)]) for number, (label, _) in enumerate(series)
    )
    return Chart(chart_id, title, legend, tuple(bars), ticks, tuple(labels))
