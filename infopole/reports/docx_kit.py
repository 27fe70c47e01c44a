"""A few python-docx helpers so both documents look like one administration's paperwork.

Times New Roman is what an administration's documents use; LibreOffice substitutes the
metric-compatible Liberation Serif when converting to PDF, and both have Cyrillic. Fonts are
set for every script slot (``w:rFonts``), or Word falls back to a default for Cyrillic text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

FONT = "Times New Roman"
BODY_PT = 12
TABLE_PT = 9.5


def _fonts(element: object, name: str) -> None:
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font wins over the named one


def new_document(title: str) -> DocumentObject:
    document = Document()
    document.core_properties.title = title
    document.core_properties.language = "ru-RU"
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    for style_name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title", "List Number"):
        style = document.styles[style_name]
        style.font.name = FONT
        _fonts(style.element, FONT)
        style.font.color.rgb = RGBColor(0, 0, 0)
    document.styles["Normal"].font.size = Pt(BODY_PT)
    document.styles["Heading 1"].font.size = Pt(14)
    document.styles["Heading 2"].font.size = Pt(12.5)
    _page_numbers(document)
    return document


def _page_numbers(document: DocumentObject) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def para(
    document: DocumentObject,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    center: bool = False,
    style: str | None = None,
) -> Paragraph:
    paragraph = document.add_paragraph(style=style)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if text:
        styled(paragraph.add_run(text), bold=bold, italic=italic, size=size)
    return paragraph


def styled(run: Run, *, bold: bool = False, italic: bool = False, size: float | None = None) -> Run:
    run.bold, run.italic = bold or None, italic or None
    if size is not None:
        run.font.size = Pt(size)
    return run


def heading(document: DocumentObject, text: str, level: int = 1) -> Paragraph:
    return document.add_heading(text, level=level)


def table(
    document: DocumentObject,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths_cm: Sequence[float] | None = None,
) -> Table:
    """A bordered table with a bold header row that repeats on every page."""
    grid = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title in zip(grid.rows[0].cells, header, strict=True):
        cell.text = ""
        styled(cell.paragraphs[0].add_run(title), bold=True, size=TABLE_PT)
    header_pr = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_pr.append(repeat)
    for values in rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = ""
            styled(cell.paragraphs[0].add_run("" if value is None else str(value)), size=TABLE_PT)
    if widths_cm is not None:
        grid.autofit = False
        for column, width in zip(grid.columns, widths_cm, strict=True):
            column.width = Cm(width)  # the tblGrid, which LibreOffice follows
        for row in grid.rows:
            for cell, width in zip(row.cells, widths_cm, strict=True):
                cell.width = Cm(width)
    document.add_paragraph()
    return grid


def picture(document: DocumentObject, png: bytes, caption: str, width_cm: float = 16.0) -> None:
    document.add_picture(io.BytesIO(png), width=Cm(width_cm))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(document, caption, italic=True, size=10, center=True)


def numbered(document: DocumentObject, text: str, note: str = "") -> Paragraph:
    paragraph = document.add_paragraph(style="List Number")
    styled(paragraph.add_run(text))
    if note:
        paragraph.add_run("\n")
        styled(paragraph.add_run(note), italic=True, size=10)
    return paragraph


def signature(document: DocumentObject, position: str) -> None:
    para(document)
    grid = document.add_table(rows=1, cols=3)
    left, middle, right = grid.rows[0].cells
    left.text, middle.text, right.text = position, "____________________", "/ ____________________ /"
    para(document, "«____» ______________ 20___ г.", size=11)


def save(document: DocumentObject, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
