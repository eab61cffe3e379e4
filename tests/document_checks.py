"""What every official document must satisfy, read from its PDF with poppler's tools
(docs/domain.md §9, §10.1): no labelled field printed empty, and the person printed under a
signature block is the one its stamp and its certificate name."""

import re
import subprocess
import tempfile
import unicodedata
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

# Lines that end with a colon on purpose: what follows them is on the next lines.
HEADINGS = (
    "Kính gửi:",
    "Nơi nhận:",
    "như sau:",
    "cụ thể:",
    "chúng tôi gồm:",
    "danh sách cụ thể:",
    "Tổng hợp nhu cầu:",
)
# "Label: " followed by nothing, a separator, or dots standing for a value.
EMPTY_VALUE = re.compile(r"([^\s:;,.][^:;]*?):\s*(?=$|;|,|\.\s*$|…|\.\.\.)")


def _run(args, pdf: bytes, *extra) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run([*args, str(path), *extra], capture_output=True, check=True)
    return unicodedata.normalize("NFC", out.stdout.decode())


def text_of(pdf: bytes) -> str:
    """The reading-order text (each block's lines in order, columns apart)."""
    return _run(["pdftotext"], pdf, "-")


def empty_labelled_fields(pdf: bytes) -> list[str]:
    """The lines that print a label with no value after it."""
    found, previous = [], ""
    for line in text_of(pdf).splitlines():
        line = line.strip()
        # A heading may wrap: "… như" over "sau:".
        if not line or f"{previous} {line}".endswith(HEADINGS):
            previous = line
            continue
        previous = line
        if EMPTY_VALUE.search(line) or "……" in line:
            found.append(line)
    return found


def _destinations(reader) -> dict:
    found, nodes = {}, [reader.root["/Names"]["/Dests"]]
    while nodes:
        node = nodes.pop().get_object()
        pairs = list(node.get("/Names", ()))
        for index in range(0, len(pairs) - 1, 2):
            found[str(pairs[index])] = pairs[index + 1].get_object()
        nodes.extend(node.get("/Kids", ()))
    return found


def printed_under(pdf: bytes, anchor: str) -> str:
    """The text of the name line a signature block marks with `anchor` (its id): 20 points
    high from the line's top, across the block's half of the page."""
    return " ".join(signature_block(pdf, anchor, above=0))


def signature_block(pdf: bytes, anchor: str, *, above: float = 130) -> list[str]:
    """The lines of the signature block whose name line is `anchor`: from `above` points
    over the name line's top down to its bottom, across the block's half of the page."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    destination = _destinations(reader)[anchor]
    page_ref = destination.raw_get(0)
    count = int(reader.root["/Pages"]["/Count"])
    page_number = next(
        n for n in range(count) if reader.find_page_for_modification(n)[0].idnum == page_ref.idnum
    )
    page = reader.find_page_for_modification(page_number)[0].get_object()
    height = float(page["/MediaBox"][3])
    width = float(page["/MediaBox"][2])
    x, top = float(destination[2]), float(destination[3])
    crop = {
        "-x": int(x),
        "-y": int(height - top - above),
        "-W": int(min(width / 2, width - x)),
        "-H": int(20 + above),
    }
    pages = ["-f", str(page_number + 1), "-l", str(page_number + 1)]
    args = [str(v) for pair in crop.items() for v in pair]
    text = _run(["pdftotext", *pages, *args], pdf, "-")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def stamp_name_lines(pdf: bytes) -> list[str]:
    """The "Người ký:" line of each signature stamp, in signing order of the text."""
    text = _run(["pdftotext", "-layout"], pdf, "-")
    return re.findall(r"Người ký: (.+?)(?=\s{2,}|$)", text, flags=re.MULTILINE)


def certificate_names(pdf: bytes) -> list[str]:
    """The common name of each signature's certificate, as pdfsig reads it (signing order)."""
    report = _run(["pdfsig", "-no-ocsp"], pdf)
    return re.findall(r"Signer Certificate Common Name: (.+)", report)
