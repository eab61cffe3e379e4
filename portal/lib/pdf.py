"""The one PDF helper: a Django template rendered by WeasyPrint (docs/documents.md §8).

Documents are legal papers (docs/domain.md §9): their look must not depend on the host, and
rendering must never reach outside the project. So:

- every resource a document asks for (its stylesheet, fonts, images) goes through
  `StaticOnlyFetcher`, which serves the project's own static files found by
  `django.contrib.staticfiles` finders and refuses anything else (http(s), ftp, file:// of any
  path, a static path outside the static folders, a data: URL over `DATA_URL_MAX_BYTES`); a refused
  resource is logged and left out, the document is still rendered;
- the text is Unicode NFC before WeasyPrint sees it;
- the fonts are the ones shipped in static/fonts (Liberation Serif, @font-face in
  static/css/pdf.css).

Archival (docs/documents.md §8): every document is PDF/A-3b (`PDF_VARIANT`). WeasyPrint
writes the XMP metadata packet (pdfaid:part 3, pdfaid:conformance B, and the document's title,
author, description, keywords and creation date, read from the template's <head>:
templates/portal/pdf/base.html) consistent with the Info dictionary, and an sRGB output intent
(/GTS_PDFA1); the fonts are embedded already. A signature is an incremental update that keeps
these objects (certificates/desk/pdf.py).

Speed (bench/bench_pdf.py): WeasyPrint builds hundreds of thousands of small objects for a long
table, and Python's cyclic garbage collector, run again and again while they accumulate, took a
quarter of a 500-row letter's render time; it is paused while a document renders
(`_collector_paused`) and the document's garbage is collected once at the end.
"""

import gc
import logging
import posixpath
import threading
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)
# WeasyPrint reports each rendering step at INFO: noise in the worker's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# The origin a document's relative URLs resolve against: a name that cannot resolve, so even a
# fetcher that let it through would reach nothing.
DOCUMENT_ORIGIN = "https://documents.portal.invalid"
DATA_URL_MAX_BYTES = 64 * 1024
# WeasyPrint's name of the archival profile every document is written in (see module doc).
PDF_VARIANT = "pdf/a-3b"

_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class ResourceRefused(ValueError):
    """A document asked for a resource outside the project's static files."""


def _static_prefix() -> str:
    return DOCUMENT_ORIGIN + "/" + settings.STATIC_URL.strip("/") + "/"


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves the project's static files, refuses everything else (see module doc)."""

        def __init__(self):
            super().__init__(allowed_protocols=(), allow_redirects=False, timeout=1)
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url, headers=None):
            try:
                response = self._serve(url)
            except ResourceRefused as exc:
                self.refused.append(url)
                logger.warning("PDF resource refused: %s", exc)
                raise
            self.served.append(url)
            return response

        def _serve(self, url: str):
            if url.startswith("data:"):
                return self._data(url)
            prefix = _static_prefix()
            if not url.startswith(prefix):
                raise ResourceRefused(
                    f"only the project's static files may be used in a document, not {url[:200]!r}"
                )
            parts = urlsplit(url)
            relative = unquote(parts.path)[len(urlsplit(prefix).path) :]
            normalised = posixpath.normpath(relative)
            if normalised.startswith(("..", "/")) or normalised != relative.rstrip("/"):
                raise ResourceRefused(f"path outside the static files: {url[:200]!r}")
            try:
                found = finders.find(normalised)
            except SuspiciousFileOperation as exc:
                raise ResourceRefused(f"path outside the static files: {url[:200]!r}") from exc
            if not found:
                raise ResourceRefused(f"no such static file: {normalised!r}")
            path = Path(found)
            kind = _TYPES.get(path.suffix.lower())
            if kind is None:
                raise ResourceRefused(f"not a document resource type: {normalised!r}")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

        def _data(self, url: str):
            if len(url) > DATA_URL_MAX_BYTES * 4 // 3 + 100:
                raise ResourceRefused(
                    f"data: URL larger than {DATA_URL_MAX_BYTES} bytes ({len(url)} characters)"
                )
            # The parent class decodes data: URLs; only that scheme is let through to it.
            self._allowed_protocols = ("data",)
            try:
                return super().fetch(url, headers=None)
            finally:
                self._allowed_protocols = ()

    return StaticOnlyFetcher


def static_fetcher():
    """A new fetcher that serves only the project's static files (one per document)."""
    return _fetcher_class()()


_paused_lock = threading.Lock()
_paused = {"renders": 0, "was_enabled": True}


class _collector_paused:
    """Python's cyclic garbage collector off while at least one document renders in this
    process (a count: threads of a web process may render at once), back as it was after the
    last one, then one young-generation collection frees the documents' objects (all of them
    young: nothing was collected while they were made)."""

    def __enter__(self):
        with _paused_lock:
            if _paused["renders"] == 0:
                _paused["was_enabled"] = gc.isenabled()
                gc.disable()
            _paused["renders"] += 1

    def __exit__(self, *exc):
        with _paused_lock:
            _paused["renders"] -= 1
            if _paused["renders"] or not _paused["was_enabled"]:
                return
            gc.enable()
        gc.collect(0)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def render_pdf(template_name: str, context: dict, *, base_url: str | None = None) -> bytes:
    """The PDF of a template. Templates link their resources as `{{ pdf_static }}css/pdf.css`
    (not `{% static %}`, whose hashed production names the finders do not know); relative URLs
    resolve against `base_url` (default: the document origin)."""
    from weasyprint import HTML

    html = nfc(render_to_string(template_name, {**context, "pdf_static": _static_prefix()}))
    result: dict = {}

    def write() -> None:
        try:
            document = HTML(
                string=html,
                base_url=base_url or DOCUMENT_ORIGIN + "/",
                url_fetcher=static_fetcher(),
            )
            result["pdf"] = document.write_pdf(pdf_variant=PDF_VARIANT)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    # WeasyPrint runs on a thread of its own, from an empty Python stack (docs/architecture.md
    # §8): CPython 3.11 keeps each thread's frames in 16 KiB chunks, mapped (mmap) when a call
    # crosses a chunk's end and unmapped as soon as it returns. WeasyPrint's layout recursion,
    # started from a caller already deep in its stack (a Celery task under Django), can sit
    # on a chunk boundary and map and unmap a chunk over a hundred thousand times for one
    # 500-row letter (a page fault each time); from an empty stack its depth, and so its
    # cost, no longer depends on who calls.
    with _collector_paused():
        thread = threading.Thread(target=write, name="render_pdf")
        thread.start()
        thread.join()
    if "error" in result:
        raise result["error"]
    return result["pdf"]
