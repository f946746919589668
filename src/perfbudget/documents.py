"""Printed documents (.docx) laid out as a county document (公文, after GB/T 9704-2012): the
issuing body's mark in red, the document number over a red rule, the title, body
paragraphs, numbered headings, tables, a chart as an embedded PNG with its legend, and the
issuing body and date at the foot.

The document's text is Chinese, set in the styles' East Asian fonts (仿宋, 黑体, 宋体), which
Word takes from the reader's machine. The chart is drawn here, where there may be no CJK
font: its own text is ASCII (codes, numbers, percentages), and the Chinese legend is a
paragraph under it."""

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from perfbudget import clock, figures
from perfbudget.charts import Chart, chart_png
from perfbudget.exports import DOCX, Download, file_download, printable

RED = RGBColor(0xFF, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)
DASH = "—"
_THEME_FONTS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")
_NUMERALS = "一二三四五六七八九十"
# what follows w:pBdr in a w:pPr (ECMA-376 §17.3.1.26): elements go in schema order
_AFTER_BORDERS = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


# --- numbers as the JSON answers show them ---------------------------------------------------


def two(value: Decimal | None) -> str:
    """Money and points: two decimals, as the API's answers carry them."""
    return DASH if value is None else f"{value:.2f}"


def plain(value: Decimal | None) -> str:
    """A quantity as entered, without padding zeros (schemas.Quantity)."""
    return DASH if value is None else figures.plain(value)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole × 100 as shown, by the one rounding rule (``figures``); None of nothing."""
    return figures.shown(figures.percent(part, whole)) if whole else None


def shown_percent(value: Decimal | None) -> str:
    return DASH if value is None else f"{value:.2f}%"


def chinese_date(day: date) -> str:
    """GB/T 9704: the date in Arabic numerals, 2028年3月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def heading_number(position: int) -> str:
    """一、二、… for the first-level headings (up to 十)."""
    return _NUMERALS[position - 1] + "、"


def document_number(agency: str, year: int, serial: int | None) -> str:
    """发文字号: 机关代字〔年份〕序号号, e.g. 县财绩〔2027〕3号; the serial left blank for a
    record not yet stored."""
    return f"{agency}〔{year}〕{'　' if serial is None else serial}号"


# --- the document --------------------------------------------------------------------------


def _fonts(style: Any, east_asian: str, latin: str = "Times New Roman") -> None:
    """The style's fonts by name: East Asian text in ``east_asian`` (w:rFonts w:eastAsia),
    the rest in ``latin``; theme fonts, which would override names, are removed."""
    style.font.name = latin
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in _THEME_FONTS:
        fonts.attrib.pop(qn(f"w:{attribute}"), None)
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph_style(
    document: DocxDocument,
    name: str,
    *,
    east_asian: str,
    size: float,
    bold: bool = False,
    colour: RGBColor = BLACK,
    align: WD_ALIGN_PARAGRAPH | None = None,
    line: float | None = None,
    indent: float = 0,
) -> ParagraphStyle:
    """The style ``name`` (made if the template has none), based on Normal: its fonts, size,
    spacing (``line``: exact line height in points, else single) and first-line indent."""
    styles = document.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    if name != "Normal":
        style.base_style = styles["Normal"]
    _fonts(style, east_asian)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = colour
    layout = style.paragraph_format
    layout.space_before = layout.space_after = Pt(0)
    if line is not None:
        layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        layout.line_spacing = Pt(line)
    else:
        layout.line_spacing_rule = WD_LINE_SPACING.SINGLE
    layout.first_line_indent = Pt(indent)
    if align is not None:
        layout.alignment = align
    return style


def _red_rule(paragraph: Paragraph) -> None:
    """The red line under the document number (a bottom border of its paragraph)."""
    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "8"), ("color", "FF0000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    properties.insert_element_before(borders, *_AFTER_BORDERS)


def _repeat_as_header(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    properties.insert_element_before(header, "w:tblCellSpacing", "w:jc", "w:hidden")


def _county_styles(document: DocxDocument) -> dict[str | None, str | None]:
    """The page (A4, GB/T 9704 margins) and the styles; their ids by name."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    centre, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    made = [
        # 三号仿宋, 28 pt lines, two characters' indent: the body of a county document
        _paragraph_style(document, "Normal", east_asian="仿宋", size=16, line=28, indent=32),
        _paragraph_style(
            document, "County Mark", east_asian="宋体", size=30, bold=True, colour=RED, align=centre
        ),
        _paragraph_style(document, "County Number", east_asian="仿宋", size=16, align=centre),
        _paragraph_style(
            document, "County Title", east_asian="宋体", size=22, bold=True, align=centre, line=35
        ),
        _paragraph_style(document, "County Subtitle", east_asian="楷体", size=16, align=centre),
        _paragraph_style(document, "County Addressee", east_asian="仿宋", size=16, line=28),
        _paragraph_style(
            document, "County Signature", east_asian="仿宋", size=16, line=28, align=right
        ),
        _paragraph_style(document, "Heading 1", east_asian="黑体", size=16, line=28, indent=32),
        _paragraph_style(document, "Table Text", east_asian="仿宋", size=10.5),
        _paragraph_style(document, "Chart Legend", east_asian="仿宋", size=12, line=20),
        # single spacing: a picture in a line of exact height would be cut to that height
        _paragraph_style(document, "Figure", east_asian="仿宋", size=12, align=centre),
    ]
    made[7].paragraph_format.keep_with_next = True  # a heading stays with what it heads
    ids: dict[str | None, str | None] = {style.name: style.style_id for style in made}
    ids["Normal"] = None  # the default style is named by naming none
    return ids


@cache
def _template() -> tuple[bytes, dict[str | None, str | None]]:
    """The empty county document, styled once per process: each document starts from it."""
    document = Document()
    ids = _county_styles(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), ids


class CountyDocument:
    """One county document, written top to bottom: the head at construction, then the
    body's parts in order, then ``download`` adds the issuing body and date at the foot."""

    def __init__(
        self,
        *,
        mark: str,
        number: str,
        title: str,
        issuer: str,
        issued_on: date,
        addressee: str | None = None,
        draft: bool = False,
    ) -> None:
        self.issuer = printable(issuer)
        self.issued_on = issued_on
        template, self._style_ids = _template()
        # paragraphs name their style by id: python-docx's lookup by name or by object reads
        # every style of the template, for each paragraph
        self.document = Document(io.BytesIO(template))
        self._figures = 0
        properties = self.document.core_properties
        properties.title = printable(title)
        properties.author = properties.last_modified_by = self.issuer
        properties.created = properties.modified = clock.utcnow()
        properties.revision = 1
        self._line(mark, "County Mark")
        self._line("")
        _red_rule(self._line(number, "County Number"))
        self._line("")
        self._line(title, "County Title")
        if draft:
            self._line("（草稿）", "County Subtitle")
        self._line("")
        if addressee:
            self._line(addressee, "County Addressee")

    def _styled(self, paragraph: Paragraph, style: str) -> Paragraph:
        paragraph._p.style = self._style_ids[style]
        return paragraph

    def _line(self, text: str, style: str = "Normal") -> Paragraph:
        return self._styled(self.document.add_paragraph(printable(text)), style)

    def heading(self, text: str) -> None:
        self._line(text, "Heading 1")

    def paragraphs(self, text: str) -> None:
        """Body text: a paragraph per non-empty line."""
        for line in text.splitlines():
            if line.strip():
                self._line(line.strip())

    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float] = ()
    ) -> None:
        """A ruled table, its header row bold and repeated on each page; ``widths`` in mm."""
        table = self.document.add_table(rows=1, cols=len(headers))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _repeat_as_header(table.rows[0])
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            paragraph = self._styled(cell.paragraphs[0], "Table Text")
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(printable(header)).bold = True
        for row in rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                self._styled(cell.paragraphs[0], "Table Text").add_run(printable(value))
        for column, width in zip(table.columns, widths, strict=False):
            column.width = Mm(width)  # the grid, which LibreOffice follows
            for cell in column.cells:
                cell.width = Mm(width)  # the cells, which Word follows
        self._line("", "Table Text")

    def chart(self, chart: Chart, caption: str, legend: Sequence[str]) -> None:
        """The chart as an embedded PNG, its caption (图n) and its Chinese legend below."""
        self._figures += 1
        figure = self._line("", "Figure")
        figure.add_run().add_picture(io.BytesIO(chart_png(chart)), width=Mm(150))
        self._line(
            f"图{self._figures}　{caption}", "Chart Legend"
        ).alignment = WD_ALIGN_PARAGRAPH.CENTER
        for line in legend:
            self._line(line, "Chart Legend")
        self._line("", "Chart Legend")

    def download(self, filename: str) -> Download:
        """The foot (the issuing body and the date), then the file as a download."""
        self._line("")
        self._line(self.issuer, "County Signature")
        self._line(chinese_date(self.issued_on), "County Signature")
        buffer = io.BytesIO()
        self.document.save(buffer)
        return file_download(buffer.getvalue(), DOCX, filename, "document.docx")
