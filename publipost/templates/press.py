"""What a print shop's prepress checks: colours in its inks, a declared output condition, fonts
that cannot be confused. PDF/X-4 (ISO 15930-7) for the print file, and sound font subsets always.

- **Colour.** Text, rules and QR codes are 100 % K (DeviceCMYK 0 0 0 1), so that black lands
  on the black plate alone; the brand colour and the images are converted to the output
  condition's CMYK through its ICC profile (LittleCMS, through Pillow's ImageCms), images
  flattened on white (paper has no alpha).
- **Output intent.** The profile is the print shop's (`print.output_profile: FILE.icc`); without
  one, Ghostscript's default CMYK profile (Debian's libgs-common ships it, under the AGPL:
  embedding it as your file's output intent is yours to decide, and a print shop will rather
  give you theirs). The file says PDF/X-4 in its XMP (GTS_PDFXVersion), its Info (Title,
  Trapped), and every page has a TrimBox and a BleedBox.
- **Font subsets.** reportlab tags each document's subsets AAAAAA+, AAAAAB+…; merged from
  chunk files, forty fonts named AAAAAA+LiberationSerif held different glyphs, which ISO
  32000-1 §9.6.4 forbids (a RIP may take one for another). `subset_tags` makes each tag a hash
  of the chunk and the subset, for every print file, PDF/X or not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publipost.errors import PublipostError, Where

if TYPE_CHECKING:
    from PIL import Image

# No norm in norms.md: 3 mm of bleed is the figure print shops' file specifications commonly ask
# for (say so to yours); the slug holds 5 mm crop marks set 3.5 mm off the trim.
BLEED_MM = 3.0  # what a design printing to the edge draws past the trim
MARKS_MM = 10.0  # the slug round the bleed that holds the crop marks

# Where a Debian (or Ghostscript) install keeps its default CMYK profile.
DEFAULT_PROFILES = (
    Path("/usr/share/color/icc/ghostscript/default_cmyk.icc"),
    Path("/usr/share/ghostscript/iccprofiles/default_cmyk.icc"),
)


@contextlib.contextmanager
def subset_tags(salt: str) -> Iterator[None]:
    """While a document is saved, its font subsets are tagged from `salt` (the chunk's name) and
    their number: unique across the chunks a print file is merged from."""
    from reportlab.pdfbase import ttfonts

    original = ttfonts.SUBSETN

    def tag(number: int, table: Any = None) -> bytes:
        digest = hashlib.sha256(f"{salt}\0{number}".encode()).digest()
        return bytes(65 + byte % 26 for byte in digest[:6])

    ttfonts.SUBSETN = tag
    try:
        yield
    finally:
        ttfonts.SUBSETN = original


@contextlib.contextmanager
def binary_streams() -> Iterator[None]:
    """While letters are drawn and saved, their streams are Flate only, not ASCII85 and Flate
    (reportlab's default, for files sent as 7-bit text): a quarter smaller, and the print file
    takes them as they are (templates/combine.py) instead of decoding and compressing every page
    again (when qpdf joined the chunks: 2,000 letters 1.2 s → 0.2 s). The setting is
    reportlab's, process-wide: a chunk drawn in another thread at the same moment (Dask's
    threaded workers) may keep ASCII85, which costs bytes, not correctness."""
    from reportlab import rl_config

    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def output_profile(given: Path | None, where: Where | None = None) -> Path:
    """The output condition's ICC profile: the print shop's, or the system's default CMYK one."""
    if given is not None:
        if not given.is_file():
            raise PublipostError(
                "print.output_profile: file not found", where, "give the print shop's .icc file"
            )
        return _cmyk_profile(given, where)
    found = next((path for path in DEFAULT_PROFILES if path.is_file()), None)
    if found is None:
        raise PublipostError(
            "PDF/X needs a CMYK output profile, and none was given or found",
            where,
            "set print.output_profile to the print shop's .icc file (or install Ghostscript, whose "
            "default CMYK profile is used without one)",
        )
    return _cmyk_profile(found, where)


def _cmyk_profile(path: Path, where: Where | None) -> Path:
    """The profile, once LittleCMS reads it as a CMYK output profile: checked before any letter is
    drawn (a worker would otherwise fail on the first colour, with a traceback)."""
    from PIL import ImageCms

    try:
        space = ImageCms.getOpenProfile(str(path)).profile.xcolor_space.strip()
    except (ImageCms.PyCMSError, OSError) as exc:
        raise PublipostError(
            f"print.output_profile: not an ICC profile LittleCMS can read ({exc})",
            where,
            "give the print shop's .icc file as they sent it",
        ) from None
    if space != "CMYK":
        raise PublipostError(
            f"print.output_profile: a {space} profile; PDF/X-4's output intent is the press's CMYK one",
            where,
            "ask the print shop for its CMYK profile (FOGRA39, PSO Coated v3, GRACoL…)",
        )
    return path


@dataclass(frozen=True)
class Press:
    """A PDF/X-4 run's colours: the output profile, and conversions into it (cached)."""

    profile: Path
    _cache: dict[str, tuple[float, float, float, float]] = field(default_factory=dict, compare=False)

    @cached_property
    def _transform(self) -> Any:
        from PIL import ImageCms

        return ImageCms.buildTransform(
            ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(str(self.profile)), "RGB", "CMYK"
        )

    def cmyk(self, colour: str) -> tuple[float, float, float, float]:
        """#rrggbb → (c, m, y, k), 0–1, through the output profile."""
        if colour not in self._cache:
            from PIL import Image, ImageCms

            rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
            pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), rgb), self._transform)
            assert pixel is not None
            self._cache[colour] = tuple(v / 255 for v in pixel.getpixel((0, 0)))  # type: ignore[assignment,union-attr]
        return self._cache[colour]

    def image(self, path: Path) -> Image.Image:
        """An image in the output profile's CMYK, flattened on white."""
        from PIL import Image, ImageCms

        with Image.open(path) as opened:
            source = opened.convert("RGBA")
        flat = Image.new("RGB", source.size, (255, 255, 255))
        flat.paste(source, mask=source.getchannel("A"))
        converted = ImageCms.applyTransform(flat, self._transform)
        assert converted is not None
        return converted


def _crop_marks(trim: Any) -> bytes:
    """Crop marks at the trim's corners, in the slug, 100 % K, never inside the bleed."""
    x0, y0, x1, y1 = (float(v) for v in trim)
    gap, length = (BLEED_MM + 0.5) * 72 / 25.4, 5 * 72 / 25.4
    lines = []
    for x, y, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        lines.append(f"{x + sx * gap:.2f} {y:.2f} m {x + sx * (gap + length):.2f} {y:.2f} l S")
        lines.append(f"{x:.2f} {y + sy * gap:.2f} m {x:.2f} {y + sy * (gap + length):.2f} l S")
    return ("q 0 0 0 1 K 0.25 w\n" + "\n".join(lines) + "\nQ\n").encode()


@dataclass(frozen=True)
class PdfX:
    """What makes a print file PDF/X-4: an output intent, XMP identification, Info, page boxes,
    added as the file is written (templates/combine.py), so that nothing is read back or held
    whole. A design printing to the edge (`to_the_edge`) gets its 3 mm bleed and crop marks:
    the page grows by the slug, TrimBox stays the paper, BleedBox 3 mm round it."""

    title: str
    profile: Path
    to_the_edge: bool = False

    def boxes(self, media: list[float]) -> dict[str, list[float]]:
        """The page's boxes, from its MediaBox (the paper)."""
        if not self.to_the_edge:
            return {"/TrimBox": media, "/BleedBox": media}
        x0, y0, x1, y1 = media
        bleed, slug = BLEED_MM * 72 / 25.4, MARKS_MM * 72 / 25.4
        return {
            "/TrimBox": media,
            "/BleedBox": [x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed],
            "/MediaBox": [x0 - slug, y0 - slug, x1 + slug, y1 + slug],
        }

    def marks(self, media: list[float]) -> bytes | None:
        """The crop marks drawn on every page, for a design printing to the edge."""
        return _crop_marks(media) if self.to_the_edge else None

    def info(self) -> dict[str, str]:
        """What the Info dictionary says besides the drawn file's own entries (and the XMP too)."""
        return {"/Title": self.title, "/Creator": "publipost"}

    def xmp(self, info: dict[str, str]) -> bytes:
        """The XMP packet: the Info's entries, the PDF/X version, the dates of now."""
        import pikepdf

        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        with pikepdf.new() as pdf:
            for key, value in info.items():
                pdf.docinfo[key] = value
            with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
                with warnings.catch_warnings():  # keys XMP has no twin for are left to the Info
                    warnings.simplefilter("ignore", UserWarning)
                    meta.load_from_docinfo(pdf.docinfo)
                meta["pdfxid:GTS_PDFXVersion"] = "PDF/X-4"
                meta["dc:title"] = self.title
                meta["pdf:Trapped"] = "False"
                meta["xmp:CreateDate"] = meta["xmp:ModifyDate"] = meta["xmp:MetadataDate"] = now.isoformat()
            return bytes(pdf.Root.Metadata.read_bytes())

    def icc(self) -> bytes:
        """The output condition's profile, Flate-compressed, for the output intent."""
        return zlib.compress(self.profile.read_bytes())
