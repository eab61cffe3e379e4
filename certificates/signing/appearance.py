"""The visible stamps of a signed letter (docs/domain.md §9) and where they go.

pyHanko's default stamp font (Courier) has no Vietnamese: every stamp uses Liberation Serif
(Times-metric, full Vietnamese coverage, static/fonts/) through pyHanko's OpenType engine, which
embeds a subset of the font in the PDF.
"""

from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from certificates.exceptions import CertificateError
from certificates.signing.base import SEAL, Appearance, Position

FONT_PATH = Path(settings.BASE_DIR) / "static" / "fonts" / "LiberationSerif-Regular.ttf"
SIGNATURE_BLUE = (0.05, 0.15, 0.6)
SEAL_RED = (0.8, 0.05, 0.05)
# The default signature box: the right half of an A4 page above the bottom margin, where the
# NĐ 30 signature block stands (docs/domain.md §9).
DEFAULT_BOX_WIDTH, DEFAULT_BOX_HEIGHT = 270.0, 90.0
BOTTOM_MARGIN, RIGHT_MARGIN = 72.0, 50.0


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def signing_time_text(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM in the portal's time zone."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


# The characters a stamp may need: Latin, Vietnamese and common punctuation.
STAMP_UNICODES = [
    *range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x1A0, 0x1B1), *range(0x300, 0x324),
    *range(0x1EA0, 0x1EFA), *range(0x2010, 0x2028), 0x20AB,
]  # fmt: skip


@cache
def _font_bytes_1000_upm() -> bytes:
    """The stamp font cut to `STAMP_UNICODES` and rescaled to 1000 units per em, once per
    process.

    pyHanko writes a CID font's /W widths and TJ adjustments in the font's own units, which a
    PDF reader takes as thousandths of an em: right for 1000-unit fonts, twice too wide for
    Liberation Serif's 2048 units (docs/ca.md, "Signing and verification"). Cutting the font
    first makes pyHanko's own subsetting of each stamp fast; hinting is dropped (its
    instructions are for the original grid, and PDF readers do not need it).
    """
    font = TTFont(str(FONT_PATH))
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamps
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=STAMP_UNICODES)
    subsetter.subset(font)
    scale_upem(font, 1000)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class _StampFontFactory(GlyphAccumulatorFactory):
    """pyHanko's OpenType engine over the rescaled stamp font, read from memory."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(_font_bytes_1000_upm()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _font(size: int) -> GlyphAccumulatorFactory:
    return _StampFontFactory(str(FONT_PATH), font_size=size)


def _text_style(size: int, colour: tuple[float, float, float]) -> TextBoxStyle:
    return TextBoxStyle(
        font=_font(size), font_size=size, leading=size + 2, text_color=colour, border_width=0
    )


def _circle(c: float, r: float) -> str:
    """A circle of radius r centred on (c, c), as four Bézier curves."""
    k = 0.5523 * r
    return (
        f"{c + r:g} {c:g} m "
        f"{c + r:g} {c + k:g} {c + k:g} {c + r:g} {c:g} {c + r:g} c "
        f"{c - k:g} {c + r:g} {c - r:g} {c + k:g} {c - r:g} {c:g} c "
        f"{c - r:g} {c - k:g} {c - k:g} {c - r:g} {c:g} {c - r:g} c "
        f"{c + k:g} {c - r:g} {c + r:g} {c - k:g} {c + r:g} {c:g} c S"
    )


def _seal_ring(side: float) -> RawContent:
    """Two concentric red circles, the outline of a round seal."""
    centre = side / 2
    red, green, blue = SEAL_RED
    ops = (
        f"{red:g} {green:g} {blue:g} RG "
        f"2.5 w {_circle(centre, centre - 2)} 1 w {_circle(centre, centre - 7)}"
    )
    return RawContent(ops.encode("ascii"), box=layout.BoxConstraints(width=side, height=side))


def stamp_style(appearance: Appearance) -> TextStampStyle:
    """The pyHanko stamp style of a signature box or a seal."""
    if appearance.kind == SEAL:
        side = appearance.position.width
        return TextStampStyle(
            stamp_text="%(seal_text)s",
            text_box_style=_text_style(8, SEAL_RED),
            background=_seal_ring(side),
            background_opacity=1.0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
            ),
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(side * 0.2),
            ),
            border_width=0,
        )
    return TextStampStyle(
        stamp_text="%(signature_text)s",
        text_box_style=_text_style(9, SIGNATURE_BLUE),
        # The text stands in the right two thirds: the seal covers the left third.
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MAX,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(
                left=appearance.position.width / 3 + 4, right=4, top=4, bottom=4
            ),
        ),
        border_width=1,
        border_color=SIGNATURE_BLUE,
    )


def stamp_text_params(appearance: Appearance, *, signed_at: datetime) -> dict[str, str]:
    """The text of the stamp (NFC), given the signing time."""
    if appearance.kind == SEAL:
        lines = textwrap.wrap(nfc(appearance.agency).upper(), width=16) or [""]
        return {"seal_text": "\n".join(lines)}
    # A document stays in Vietnamese whatever the interface language (docs/domain.md §9).
    with translation.override("vi"):
        lines = [
            _("Người ký: %(name)s") % {"name": nfc(appearance.signer_name)},
            _("Chức vụ: %(title)s") % {"title": nfc(appearance.title)},
            _("Cơ quan: %(agency)s") % {"agency": nfc(appearance.agency)},
            _("Thời gian ký: %(time)s") % {"time": signing_time_text(signed_at)},
        ]
    return {"signature_text": "\n".join(nfc(line) for line in lines)}


def signature_position(pdf: bytes, *, box: tuple[float, float, float, float] | None = None):
    """The signature block's place: the last page, in `box` or in the default box (the right
    half above the bottom margin). A box outside the page is refused."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        pages = reader.root["/Pages"]
        count = int(pages["/Count"])
        node = reader.find_page_for_modification(count - 1)[0].get_object()
        for _depth in range(32):  # /MediaBox may be inherited from the page tree
            if "/MediaBox" in node or "/Parent" not in node:
                break
            node = node["/Parent"]
        media_box = [float(v) for v in node["/MediaBox"]]
    except Exception as exc:  # hostile or broken input: never a 500
        raise CertificateError(_("Không đọc được tệp PDF."), code="bad_pdf") from exc
    left, bottom, right, top = media_box
    if box is None:
        x2 = right - RIGHT_MARGIN
        y1 = bottom + BOTTOM_MARGIN
        box = (x2 - DEFAULT_BOX_WIDTH, y1, x2, y1 + DEFAULT_BOX_HEIGHT)
    x1, y1, x2, y2 = box
    if not (left <= x1 < x2 <= right and bottom <= y1 < y2 <= top):
        raise CertificateError(
            _("Vị trí chữ ký nằm ngoài trang cuối của văn bản."), code="bad_position"
        )
    return Position(page=count - 1, box=(x1, y1, x2, y2))
