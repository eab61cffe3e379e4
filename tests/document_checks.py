"""What every official document must satisfy, read from its PDF with poppler's tools and
pyHanko's reader (docs/domain.md §9, §10.1; docs/documents.md §8): no labelled field printed
empty, the person printed under a signature block is the one its stamp and its certificate
name, and the file is PDF/A-3b (its XMP identification, output intent, embedded fonts, no
encryption, no JavaScript)."""

import re
import subprocess
import tempfile
import unicodedata
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

from pyhanko.pdf_utils import generic
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


# --- PDF/A (docs/documents.md §8) -------------------------------------------------------
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf), strict=False)


def xmp_packet(pdf: bytes) -> bytes:
    """The XMP metadata stream the catalog of the latest revision names (decompressed)."""
    metadata = _reader(pdf).root["/Metadata"]
    assert metadata["/Type"] == "/Metadata" and metadata["/Subtype"] == "/XML"
    return metadata.data


def _xmp_rdf(pdf: bytes) -> ElementTree.Element:
    # The packet of a PDF the test itself rendered, not an upload.
    return ElementTree.fromstring(xmp_packet(pdf)).find(f"{RDF}RDF")  # noqa: S314


def pdfa_identification(pdf: bytes) -> dict[str, str]:
    """pdfaid:part and pdfaid:conformance of the XMP packet, written as attributes of an
    rdf:Description or as its child elements (both are RDF)."""
    rdf = _xmp_rdf(pdf)
    found = {}
    for description in rdf.iter(f"{RDF}Description"):
        for key, value in description.attrib.items():
            if key.startswith(PDFAID):
                found[key[len(PDFAID) :]] = value
        for child in description:
            if child.tag.startswith(PDFAID):
                found[child.tag[len(PDFAID) :]] = (child.text or "").strip()
    return found


def xmp_titles(pdf: bytes) -> list[str]:
    """The dc:title entries of the XMP packet."""
    rdf = _xmp_rdf(pdf)
    titles = rdf.iter(f"{DC}title")
    return [item.text or "" for title in titles for item in title.iter(f"{RDF}li")]


XMP_OF_INFO = {
    "/Title": f"{DC}title",
    "/Author": f"{DC}creator",
    "/Subject": f"{DC}description",
    "/Keywords": "{http://ns.adobe.com/pdf/1.3/}Keywords",
    "/Producer": "{http://ns.adobe.com/pdf/1.3/}Producer",
    "/Creator": "{http://ns.adobe.com/xap/1.0/}CreatorTool",
    "/CreationDate": "{http://ns.adobe.com/xap/1.0/}CreateDate",
    "/ModDate": "{http://ns.adobe.com/xap/1.0/}ModifyDate",
}


def xmp_properties(pdf: bytes) -> dict[str, str]:
    """The XMP packet's simple properties by expanded name, an array's items joined by ", "
    (as an author list is in the document information)."""
    rdf = _xmp_rdf(pdf)
    found = {}
    for description in rdf.iter(f"{RDF}Description"):
        found.update((k, v) for k, v in description.attrib.items() if not k.startswith(RDF))
        for child in description:
            items = [item.text or "" for item in child.iter(f"{RDF}li")]
            found[child.tag] = ", ".join(items) if items else (child.text or "").strip()
    return found


def info_xmp_disagreements(pdf: bytes) -> list[str]:
    """The document information's entries whose XMP property is missing or says otherwise
    (PDF/A, ISO 19005-3 §6.6.2.3.1); dates compared by their digits."""
    info = _reader(pdf).trailer["/Info"]
    xmp = xmp_properties(pdf)
    wrong = []
    for key, name in XMP_OF_INFO.items():
        if key not in info:
            continue
        value, in_xmp = str(info[key]), xmp.get(name)
        if key.endswith("Date"):
            value, in_xmp = re.sub(r"\D", "", value), re.sub(r"\D", "", in_xmp or "") or None
        if value != in_xmp:
            wrong.append(f"{key} {value!r} != {name} {in_xmp!r}")
    return wrong


def output_intents(pdf: bytes) -> list[tuple[str, bool]]:
    """Each output intent of the catalog: its /S and whether it embeds an ICC profile."""
    root = _reader(pdf).root
    intents = root.get("/OutputIntents", generic.ArrayObject())
    found = []
    for intent in (item.get_object() for item in intents):
        profile = intent.get("/DestOutputProfile")
        embedded = profile is not None and isinstance(profile.get_object(), generic.StreamObject)
        found.append((str(intent["/S"]), embedded))
    return found


# Annotation flags (ISO 32000-1, 12.5.3): Invisible, Hidden, Print, NoView.
INVISIBLE, HIDDEN, PRINT, NO_VIEW = 1, 2, 4, 32


def annotations(pdf: bytes) -> list[tuple[int, str, int, bool, bool]]:
    """(page number, subtype, flags, has an appearance stream, its rectangle has no area) of
    every page's annotations."""
    reader = _reader(pdf)
    found = []
    for number in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(number)[0].get_object()
        for annotation in page.get("/Annots", generic.ArrayObject()):
            annotation = annotation.get_object()
            found.append(
                (
                    number + 1,
                    str(annotation.get("/Subtype")),
                    int(annotation.get("/F", 0)),
                    "/AP" in annotation,
                    _zero_area(annotation.get("/Rect", generic.ArrayObject())),
                )
            )
    return found


def _zero_area(rect) -> bool:
    if len(rect) != 4:
        return False
    left, bottom, right, top = (float(v) for v in rect)
    return left == right and bottom == top


def unprintable_annotations(pdf: bytes) -> list[tuple[int, str, int, bool, bool]]:
    """The annotations PDF/A refuses (ISO 19005-3 §6.3.2, §6.3.3): without the Print flag, or
    hidden, invisible or not viewable, or a widget (a signature's stamp) without its
    appearance stream, unless its rectangle has no area (an invisible field: the document
    time-stamps')."""
    return [
        (page, subtype, flags, has_ap, zero)
        for page, subtype, flags, has_ap, zero in annotations(pdf)
        if not flags & PRINT
        or flags & (INVISIBLE | HIDDEN | NO_VIEW)
        or (subtype == "/Widget" and not has_ap and not zero)
    ]


def fonts_embedded(pdf: bytes) -> list[tuple[str, str]]:
    """Each font pdffonts lists (page resources and annotation appearances): (name, emb)."""
    lines = _run(["pdffonts"], pdf).splitlines()[2:]
    return [(line.split()[0], line.split()[-5]) for line in lines if line.strip()]


def pdfinfo(pdf: bytes) -> dict[str, str]:
    """pdfinfo's fields (dates in ISO 8601)."""
    lines = _run(["pdfinfo", "-isodates"], pdf).splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def _names_in(obj, found: set[str]) -> None:
    """The names (dictionary keys and name values) of one object, not following references."""
    if isinstance(obj, generic.DictionaryObject):
        for key, value in obj.items():
            found.add(str(key))
            _names_in(value, found)
    elif isinstance(obj, generic.ArrayObject):
        for value in obj:
            _names_in(value, found)
    elif isinstance(obj, generic.NameObject):
        found.add(str(obj))


def names_of_every_object(pdf: bytes) -> set[str]:
    """Every PDF name used in any object of any revision, objects in object streams
    included (each read decompressed by pyHanko), and in the trailers."""
    reader = _reader(pdf)
    found: set[str] = set()
    _names_in(reader.trailer.flatten(), found)
    for revision in range(reader.xrefs.total_revisions):
        for reference in reader.xrefs.explicit_refs_in_revision(revision):
            _names_in(reader.get_object(reference, revision=revision), found)
    return found
