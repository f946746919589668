"""Bar charts drawn as PNG for the county's documents. There may be no CJK font where they
are drawn, so a chart's own text is ASCII (codes, numbers, percentages); the Chinese legend
is a paragraph of the document under it."""

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PIL import Image, ImageDraw, ImageFont


@dataclass(frozen=True)
class Series:
    name: str  # ASCII, drawn in the chart's key
    colour: tuple[int, int, int]


@dataclass(frozen=True)
class Bar:
    label: str  # ASCII, drawn under the bar
    values: tuple[Decimal, ...]  # one per series, stacked


@dataclass(frozen=True)
class Chart:
    title: str  # ASCII
    series: tuple[Series, ...]
    bars: tuple[Bar, ...]
    unit: str = ""  # "%" for percentages; counts otherwise
    reference: Decimal | None = None  # a dashed line, e.g. at 100 %


_WIDTH, _HEIGHT = 1600, 820
_LEFT, _RIGHT, _TOP, _BOTTOM = 110, 40, 160, 90
_GRID = (220, 220, 220)
_INK = (40, 40, 40)


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def _nice_top(highest: float, unit: str) -> tuple[float, float]:
    """The axis' top and its tick step: about five ticks of 1, 2, 2.5 or 5 × 10^k."""
    top = max(highest, 100.0 if unit == "%" else 1.0)
    raw = top / 5
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if unit != "%":
        step = max(1.0, float(int(step)))
    ticks = -(-top // step)
    return ticks * step, step


def _number(value: float | Decimal, unit: str) -> str:
    """85, 93.33, 2.5: no padding zeros, at most two decimals."""
    text = f"{Decimal(value):.2f}".rstrip("0").rstrip(".")
    return text + unit


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: float) -> str:
    while text and draw.textlength(text, font=font) > width:
        text = text[:-2] + "~" if len(text) > 2 else text[:-1]
    return text


@dataclass(frozen=True)
class _Plot:
    """The plotting area in pixels and the value at its top."""

    left: int
    right: int
    top: int
    bottom: int
    highest: float

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * value / self.highest


def _key(draw: ImageDraw.ImageDraw, chart: Chart, font: Any) -> None:
    """The title, and the series' colours left to right under it."""
    draw.text((_LEFT, 24), _ascii(chart.title), fill=_INK, font=ImageFont.load_default(26))
    x = _LEFT
    for series in chart.series:
        draw.rectangle((x, 70, x + 24, 94), fill=series.colour)
        name = _ascii(series.name)
        draw.text((x + 32, 68), name, fill=_INK, font=font)
        x += 32 + int(draw.textlength(name, font=font)) + 40


def _axes(draw: ImageDraw.ImageDraw, plot: _Plot, step: float, unit: str, font: Any) -> None:
    tick = 0.0
    while tick <= plot.highest + step / 1000:
        y = plot.y(tick)
        draw.line((plot.left, y, plot.right, y), fill=_GRID, width=2)
        label = _number(tick, unit)
        draw.text((plot.left - 12 - draw.textlength(label, font=font), y - 12), label, _INK, font)
        tick += step
    draw.line((plot.left, plot.top, plot.left, plot.bottom), fill=_INK, width=3)
    draw.line((plot.left, plot.bottom, plot.right, plot.bottom), fill=_INK, width=3)


def _centred(draw: ImageDraw.ImageDraw, x: float, y: float, text: str, font: Any) -> None:
    draw.text((x - draw.textlength(text, font=font) / 2, y), text, fill=_INK, font=font)


def chart_png(chart: Chart) -> bytes:
    """A bar chart (stacked when several series) as PNG bytes, all of its text ASCII."""
    image = Image.new("RGB", (_WIDTH, _HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(22)
    _key(draw, chart, font)
    totals = [sum(bar.values, Decimal(0)) for bar in chart.bars]
    highest, step = _nice_top(
        max([*map(float, totals), float(chart.reference or 0), 0.0]), chart.unit
    )
    plot = _Plot(_LEFT, _WIDTH - _RIGHT, _TOP, _HEIGHT - _BOTTOM, highest)
    _axes(draw, plot, step, chart.unit, font)
    slot = (plot.right - plot.left) / max(len(chart.bars), 1)
    half = min(slot * 0.6, 110) / 2
    for index, (bar, total) in enumerate(zip(chart.bars, totals, strict=True)):
        middle = plot.left + slot * (index + 0.5)
        base = 0.0
        for series, value in zip(chart.series, bar.values, strict=True):
            if value > 0:
                upper = base + float(value)
                box = (middle - half, plot.y(upper), middle + half, plot.y(base))
                draw.rectangle(box, fill=series.colour)
                base = upper
        value_text = _fit(draw, _number(total, chart.unit), font, slot)
        _centred(draw, middle, plot.y(float(total)) - 30, value_text, font)
        _centred(draw, middle, plot.bottom + 14, _fit(draw, _ascii(bar.label), font, slot), font)
    if chart.reference is not None:
        y = plot.y(float(chart.reference))
        for start in range(plot.left, plot.right, 24):
            draw.line((start, y, min(start + 12, plot.right), y), fill=(200, 0, 0), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    return buffer.getvalue()
