"""Small PDFs for the signing tests, and what an independent reader (poppler) says of them."""

import re
import subprocess
import unicodedata
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from certificates.models import RevocationList

A4 = (0, 0, 595, 842)


def minimal_pdf(text: str = "Cong van so 12/STC-VP", pages: int = 1) -> bytes:
    """An A4 PDF of `pages` pages with one line of ASCII text each (no WeasyPrint needed)."""
    writer = PdfFileWriter()
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Times-Roman"),
        }
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): font})}
    )
    for number in range(1, pages + 1):
        line = f"{text} - trang {number}".encode("ascii")
        stream = generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 760 Td (%s) Tj ET" % line)
        page = PageObject(
            contents=writer.add_object(stream),
            media_box=generic.ArrayObject(map(generic.NumberObject, A4)),
            resources=resources,
        )
        writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def poppler(tool: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool, *map(str, args)], capture_output=True, timeout=120, check=False, text=True
    )


def _certutil(tool: str, directory: Path, *args) -> None:
    result = subprocess.run(
        [tool, "-d", f"sql:{directory}", *map(str, args)],
        capture_output=True,
        timeout=60,
        check=False,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def nss_db_trusting(directory: Path, *, root_der: bytes, issuing_der: bytes, crls=()) -> Path:
    """An NSS database (for `pdfsig -nssdir`) that trusts `root_der` as a CA and knows the
    issuing CA and its current CRLs (NSS, the library pdfsig uses, checks them)."""
    directory.mkdir(parents=True, exist_ok=True)
    _certutil("certutil", directory, "-N", "--empty-password")
    for nickname, der, trust in (("root", root_der, "CT,C,C"), ("issuing", issuing_der, ",,")):
        path = directory / f"{nickname}.der"
        path.write_bytes(der)
        _certutil("certutil", directory, "-A", "-n", nickname, "-t", trust, "-i", path)
    for number, crl_der in enumerate(crls):
        path = directory / f"crl{number}.der"
        path.write_bytes(crl_der)
        _certutil("crlutil", directory, "-I", "-B", "-i", path)
    return directory


def pdfsig(pdf: Path, nss: Path | None = None) -> str:
    """pdfsig's report (no OCSP: the test CA's responder is not on the network)."""
    args = ["-no-ocsp", str(pdf)]
    if nss is not None:
        args = ["-nssdir", f"sql:{nss}", *args]
    return poppler("pdfsig", *args).stdout


def pdftotext(pdf: Path) -> str:
    return unicodedata.normalize("NFC", poppler("pdftotext", "-layout", pdf, "-").stdout)


def pdfsig_sections(pdf: bytes, ca, directory: Path) -> list[str]:
    """pdfsig's report on `pdf`, one section a signature, checked against an NSS database that
    trusts the simulated CA `ca` (its root and issuing CA) and holds the CA's CRLs."""
    path = directory / "signed.pdf"
    path.write_bytes(pdf)
    nss = nss_db_trusting(
        directory / "nss",
        root_der=bytes(ca.root.certificate_der),
        issuing_der=bytes(ca.issuing.certificate_der),
        crls=[bytes(crl.der) for crl in RevocationList.objects.all()],
    )
    return re.split(r"^Signature #\d+:$", pdfsig(path, nss), flags=re.MULTILINE)[1:]
