"""Issue 31: the letters' QR codes and the inserter's DataMatrix are drawn as one-bit image masks
instead of one rectangle per run of dark modules. Rendered back by PDFium and Ghostscript: the
page carries the matrix module for module, in the fill colour's ink alone, and scans."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pikepdf
import pypdfium2
import zxingcpp
from reportlab.lib.colors import CMYKColor
from reportlab.pdfgen.canvas import Canvas

from publipost.templates.inserter import modules
from publipost.templates.qr import qr_modules
from publipost.templates.stencil import image_mask

PIXELS = 4  # a module a point, rendered at 4 pixels a point
QUIET = 4  # modules of light paper round the code


BLACK = CMYKColor(0, 0, 0, 1)  # 100 % K, as a PDF/X file's ink


def _page(dark: np.ndarray) -> bytes:
    rows, columns = dark.shape
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(columns + 2 * QUIET, rows + 2 * QUIET))
    canvas.setFillColor(BLACK)
    canvas.addLiteral(image_mask(dark, QUIET, QUIET, columns, rows))
    canvas.save()
    return buffer.getvalue()


def _rendered(pdf: bytes) -> np.ndarray:
    return np.asarray(pypdfium2.PdfDocument(pdf)[0].render(scale=PIXELS).to_pil().convert("L"))


def _read_back(pdf: bytes, shape: tuple[int, int]) -> np.ndarray:
    """The module under each module's centre, dark True."""
    image = _rendered(pdf)
    start = QUIET * PIXELS + PIXELS // 2
    return image[start::PIXELS, start::PIXELS][: shape[0], : shape[1]] < 128


def test_every_module_lands_where_it_belongs_rows_padded_to_bytes():
    """Widths that are no multiple of 8 (each row's samples end on a byte) and a matrix taller
    than wide (W and H not swapped)."""
    draw = np.random.default_rng(31)
    for shape in [(11, 19), (19, 11), (8, 8), (1, 9), (37, 37)]:
        dark = draw.random(shape) < 0.5
        assert (_read_back(_page(dark), shape) == dark).all(), shape


def test_a_drawn_qr_code_scans_and_is_its_matrix():
    value = "https://literie-martin.example/couette-douillette?utm_source=publipost&ref=COUDOUVCM-B000042-Z"
    dark = qr_modules(value)
    pdf = _page(dark)
    assert (_read_back(pdf, dark.shape) == dark).all()
    assert [code.text for code in zxingcpp.read_barcodes(_rendered(pdf))] == [value]


def test_a_drawn_datamatrix_scans():
    text = "HIVER27-000042-01-02-C"
    dark = modules(text)
    pdf = _page(dark)
    assert (_read_back(pdf, dark.shape) == dark).all()
    formats = zxingcpp.BarcodeFormat.DataMatrix
    assert [code.text for code in zxingcpp.read_barcodes(_rendered(pdf), formats=formats)] == [text]


def test_the_code_is_an_inline_image_mask_in_the_fill_colour_s_ink_alone(tmp_path):
    """A stencil, not an image with colours of its own: in 100 % K it inks the black plate only
    (Ghostscript's inkcov), and it adds no object to the file."""
    pdf = _page(qr_modules("https://literie-martin.example/couette?ref=COUDOUVCM-B000042-Z"))
    with pikepdf.open(io.BytesIO(pdf)) as document:
        (inline,) = [
            i.operands[0]
            for i in pikepdf.parse_content_stream(document.pages[0])
            if isinstance(i, pikepdf.ContentStreamInlineImage)
        ]
        assert inline.image_mask and (inline.width, inline.height) == (33, 33)
        streams = [o for o in document.objects if isinstance(o, pikepdf.Stream)]
        assert not [o for o in streams if o.get("/Subtype") == "/Image"]
    path = tmp_path / "code.pdf"
    path.write_bytes(pdf)
    inks = subprocess.run(
        ["gs", "-q", "-o", "-", "-sDEVICE=inkcov", str(path)], capture_output=True, text=True, check=True
    ).stdout.split()[:4]
    c, m, y, k = (float(v) for v in inks)
    assert (c, m, y) == (0, 0, 0) and k > 0.05
