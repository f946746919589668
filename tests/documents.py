"""Reading a printed document (.docx) back as a client would: its paragraphs, its tables'
cells and its embedded images, each image opened with Pillow."""

import io
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Printed:
    filename: str
    paragraphs: list[str]
    tables: list[list[list[str]]]
    images: list[Image.Image]
    east_asian_font: str | None  # of the Normal style

    def table_with(self, header: str) -> list[list[str]]:
        """The first table whose header row has ``header``, header row included."""
        return next(table for table in self.tables if header in table[0])


def read_docx(response: httpx.Response) -> Printed:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="document.docx"; filename*=UTF-8'), (
        disposition
    )
    document = Document(io.BytesIO(response.content))
    images = []
    for shape in document.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        part = document.part.related_parts[blip.get(qn("r:embed"))]
        image = Image.open(io.BytesIO(part.blob))
        image.load()  # a truncated or corrupt file fails here
        images.append(image)
    fonts = document.styles["Normal"].element.rPr.rFonts
    return Printed(
        filename=unquote(disposition.split("filename*=UTF-8''", 1)[1]),
        paragraphs=[paragraph.text for paragraph in document.paragraphs],
        tables=[
            [[cell.text for cell in row.cells] for row in table.rows] for table in document.tables
        ],
        images=images,
        east_asian_font=fonts.get(qn("w:eastAsia")) if fonts is not None else None,
    )
