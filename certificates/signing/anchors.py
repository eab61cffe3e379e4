"""Where a signature goes in a rendered document: the gap above a signature block's name
line, which the template marks with an id that WeasyPrint writes as a PDF named destination
(templates/devices/pdf/mau_0{7,8,9}.html; docs/devices.md, "Who signs what")."""

from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader

from certificates.exceptions import CertificateError
from certificates.signing.appearance import signature_position
from certificates.signing.base import Position

BOX_WIDTH, BOX_HEIGHT = 220.0, 60.0
MM = 72 / 25.4
PAGE_LEFT_MARGIN, PAGE_RIGHT_MARGIN = 30 * MM, 15 * MM  # static/css/pdf.css, @page


def _named_destinations(reader) -> dict[str, list]:
    found: dict[str, list] = {}
    nodes = [reader.root["/Names"]["/Dests"]]
    while nodes:
        node = nodes.pop().get_object()
        pairs = list(node.get("/Names", ()))
        for index in range(0, len(pairs) - 1, 2):
            found[str(pairs[index])] = pairs[index + 1].get_object()
        nodes.extend(node.get("/Kids", ()))
    return found


def anchor_position(pdf: bytes, anchor: str) -> Position:
    """The signature box of the signature block whose name line is `anchor`: the gap above
    the name, centred in the block's half of the page. The default box (the right half above
    the bottom margin) when the block is not on the last page or cannot be found."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        count = int(reader.root["/Pages"]["/Count"])
        last_page = reader.find_page_for_modification(count - 1)[0]
        destination = _named_destinations(reader)[anchor]
        page_ref = destination.raw_get(0)  # indexing would dereference it
        x, top = float(destination[2]), float(destination[3])
        media_box = [float(v) for v in last_page.get_object()["/MediaBox"]]
    except Exception:  # no anchor in this layout: the default place
        return signature_position(pdf)
    if getattr(page_ref, "idnum", None) != last_page.idnum:
        return signature_position(pdf)
    half = (media_box[2] - PAGE_LEFT_MARGIN - PAGE_RIGHT_MARGIN) / 2
    centre = x + half / 2
    box = (centre - BOX_WIDTH / 2, top, centre + BOX_WIDTH / 2, top + BOX_HEIGHT)
    try:
        return signature_position(pdf, box=box)
    except CertificateError:
        return signature_position(pdf)
