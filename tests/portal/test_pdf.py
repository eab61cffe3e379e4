"""The one PDF helper (portal.lib.pdf): the shipped fonts only, NFC text, and a fetcher that
serves the project's static files and refuses everything else without fetching it."""

import subprocess
import tempfile
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import override_settings

from portal.lib.filenames import safe_file_name
from portal.lib.pdf import DATA_URL_MAX_BYTES, render_pdf

BASE = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<link rel="stylesheet" href="{{ pdf_static }}css/pdf.css">{% block head %}{% endblock %}</head>
<body>{% block body %}{% endblock %}</body></html>"""


def _templates(**templates):
    return override_settings(
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "loaders": [
                        ("django.template.loaders.locmem.Loader", {"base.html": BASE, **templates})
                    ]
                },
            }
        ]
    )


def pdf_text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        Path(handle.name).write_bytes(pdf)
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True, text=True
        ).stdout


def pdf_fonts(pdf: bytes) -> list[tuple[str, str]]:
    """(font name without subset prefix, embedded yes/no) for each font of the PDF."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        Path(handle.name).write_bytes(pdf)
        lines = subprocess.run(
            ["pdffonts", handle.name], capture_output=True, check=True, text=True
        ).stdout.splitlines()[2:]
    fonts = []
    for line in lines:
        name, rest = line.split(" ", 1)
        emb = rest.split()[-5]
        fonts.append((name.split("+", 1)[-1], emb))
    return fonts


@pytest.fixture
def loopback_server():
    """A server on loopback that counts the requests it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red; }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_every_font_of_a_document_is_the_shipped_liberation_serif_embedded():
    page = '{% extends "base.html" %}{% block body %}<p>Đề nghị <b>cấp</b> <i>chứng thư</i> <b><i>số</i></b></p>{% endblock %}'
    with _templates(**{"page.html": page}):
        pdf = render_pdf("page.html", {})
    fonts = pdf_fonts(pdf)
    assert {name for name, _ in fonts} == {
        "Liberation-Serif-Portal",
        "Liberation-Serif-Portal-Bold",
        "Liberation-Serif-Portal-Italic",
        "Liberation-Serif-Portal-Bold-Italic",
    }
    assert all(emb == "yes" for _, emb in fonts)


def test_text_reaches_the_pdf_in_nfc_even_when_the_context_is_decomposed():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hường, Đắk Lắk")
    page = '{% extends "base.html" %}{% block body %}<p>{{ name }}</p>{% endblock %}'
    with _templates(**{"page.html": page}):
        text = pdf_text(render_pdf("page.html", {"name": decomposed}))
    assert "Nguyễn Thị Hường, Đắk Lắk" in unicodedata.normalize("NFC", text)
    assert "Nguyễn Thị Hường, Đắk Lắk" in text


def test_a_document_pointing_at_an_external_url_or_a_host_file_renders_without_fetching_it(
    loopback_server, caplog
):
    origin, hits = loopback_server
    page = (
        '{% extends "base.html" %}{% block head %}'
        '<link rel="stylesheet" href="{{ origin }}/external.css">'
        "<style>@import url('{{ origin }}/imported.css'); p { background: url('{{ origin }}/bg.png'); }</style>"
        "{% endblock %}{% block body %}"
        '<p>Văn bản</p><img src="{{ origin }}/logo.png" alt="">'
        '<img src="file:///etc/passwd" alt=""><object data="file:///etc/passwd"></object>'
        '<img src="{{ pdf_static }}../../etc/passwd" alt="">'
        '<img src="{{ pdf_static }}..%2F..%2F..%2Fetc%2Fpasswd" alt="">'
        "{% endblock %}"
    )
    with _templates(**{"page.html": page}):
        pdf = render_pdf("page.html", {"origin": origin})
    assert hits == []
    text = pdf_text(pdf)
    assert "Văn bản" in text
    assert "root:" not in text
    refused = " ".join(r.getMessage() for r in caplog.records if "refused" in r.getMessage())
    assert origin in refused
    assert "file:///etc/passwd" in refused


def test_a_large_data_url_is_refused_and_a_small_one_served(caplog):
    small = "data:text/css,p%7Bcolor%3Ablack%7D"
    large = "data:text/css," + "a" * (DATA_URL_MAX_BYTES * 2)
    page = (
        '{% extends "base.html" %}{% block head %}<link rel="stylesheet" href="{{ small }}">'
        '<link rel="stylesheet" href="{{ large }}">{% endblock %}{% block body %}<p>x</p>{% endblock %}'
    )
    with _templates(**{"page.html": page}):
        render_pdf("page.html", {"small": small, "large": large})
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1
    assert "data: URL larger than" in refused[0]


def test_a_static_file_outside_the_document_types_is_refused(caplog):
    page = '{% extends "base.html" %}{% block head %}<link rel="stylesheet" href="{{ pdf_static }}js/htmx.min.js">{% endblock %}{% block body %}<p>x</p>{% endblock %}'
    with _templates(**{"page.html": page}):
        render_pdf("page.html", {})
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("htmx.min.js" in message for message in refused)


@pytest.mark.parametrize(
    ("stem", "name"),
    [
        ("Mẫu 05 – Sở Tài chính Đắk Lắk", "Mau_05_So_Tai_chinh_Dak_Lak.pdf"),
        ("12/STC-CKS", "12_STC-CKS.pdf"),
        ("Đề nghị " * 20, "De_nghi_De_nghi_De_nghi_De_nghi_De_nghi_De_ngh.pdf"),
    ],
)
def test_download_names_have_no_diacritics_and_at_most_50_characters(stem, name):
    assert safe_file_name(stem) == name
    assert len(safe_file_name(stem)) <= 50


@pytest.mark.parametrize("enabled", [True, False])
def test_rendering_leaves_the_garbage_collector_as_it_found_it_and_paused_meanwhile(enabled):
    """WeasyPrint's cascade (spied on, passed through) runs with the collector off."""
    import gc

    seen = []

    def paused_during_layout(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    from weasyprint import document as weasy_document

    original = weasy_document.get_all_computed_styles
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        weasy_document.get_all_computed_styles = paused_during_layout
        with _templates(
            doc='{% extends "base.html" %}{% block body %}<p>{{ v }}</p>{% endblock %}'
        ):
            render_pdf("doc", {"v": "Tạm dừng"})
        assert gc.isenabled() is enabled
    finally:
        weasy_document.get_all_computed_styles = original
        (gc.enable if was else gc.disable)()
    assert seen == [False]
