"""Is a PDF signed outside the portal still the letter the portal rendered?

The signed file must start with the rendered file byte for byte; its first signature must sign
the very next revision; that revision may only add signature fields (the catalogue's form,
the pages' annotations, the document information, the XMP metadata stream), never touch a
page's content; and later revisions may only add signatures (pyHanko's diff policy). docs/ca.md,
"Signing and verification".

The rendered letter is PDF/A (docs/documents.md §8): signing software that keeps it so
rewrites its XMP packet with the signature's modification date and producer, as it does the
document information, so the packet's stream may be overwritten, and stay a metadata stream.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel

from certificates.signing.files import check_pdf_size, open_pdf

# What the revision of a signature may change in the catalogue and in a page.
CATALOG_KEYS = frozenset({"/AcroForm", "/Perms", "/DSS", "/Extensions", "/Metadata", "/Version"})
PAGE_KEYS = frozenset({"/Annots"})
MAX_PAGES = 10_000
MAX_DEPTH = 32


def _serialised(value) -> bytes:
    if isinstance(value, generic.IndirectObject):
        return b"%d %d R" % (value.idnum, value.generation)
    out = BytesIO()
    value.write_to_stream(out, None)
    return out.getvalue()


def _same_except(old, new, allowed: frozenset[str]) -> bool:
    keys = (set(old.keys()) | set(new.keys())) - allowed
    return all(
        key in old and key in new and _serialised(old.raw_get(key)) == _serialised(new.raw_get(key))
        for key in keys
    )


def _ref_key(ref) -> tuple[int, int]:
    return (ref.idnum, ref.generation)


def _pages(resolver) -> list[tuple[tuple[int, int], generic.DictionaryObject]]:
    """(reference, page dictionary) of every page, in order, as of `resolver`'s revision."""
    pages = []

    def walk(node_ref, depth):
        if depth > MAX_DEPTH or len(pages) > MAX_PAGES:
            raise ValueError("page tree too deep or too large")
        node = node_ref.get_object()
        if node.get("/Type") == "/Pages":
            for kid in node["/Kids"]:
                walk(kid, depth + 1)
        else:
            pages.append((_ref_key(node_ref), node))

    walk(resolver.root.raw_get("/Pages"), 0)
    return pages


def _is_signature_widget(annotation) -> bool:
    annotation = annotation.get_object()
    if annotation.get("/Subtype") != "/Widget":
        return False
    field = annotation.get("/Parent", annotation).get_object()
    return annotation.get("/FT") == "/Sig" or field.get("/FT") == "/Sig"


def _is_metadata_stream(obj) -> bool:
    return (
        isinstance(obj, generic.StreamObject)
        and obj.get("/Type") == "/Metadata"
        and obj.get("/Subtype") == "/XML"
    )


def _annotation_refs(page) -> list[tuple[int, int] | None]:
    annots = page.get("/Annots")
    if annots is None:
        return []
    return [
        _ref_key(a) if isinstance(a, generic.IndirectObject) else None for a in annots.get_object()
    ]


def _adds_only_signatures(reader, revision: int) -> bool:
    """Whether `revision` changes nothing of revision - 1 but adds signature fields."""
    before = reader.get_historical_resolver(revision - 1)
    after = reader.get_historical_resolver(revision)
    if reader.xrefs.refs_freed_in_revision(revision):
        return False
    root_key = _ref_key(before.root_ref)
    if _ref_key(after.root_ref) != root_key:
        return False
    if not _same_except(before.root, after.root, CATALOG_KEYS):
        return False
    old_pages, new_pages = _pages(before), _pages(after)
    if [ref for ref, _p in old_pages] != [ref for ref, _p in new_pages]:
        return False
    allowed = {root_key}
    acroform = before.root.raw_get("/AcroForm") if "/AcroForm" in before.root else None
    if isinstance(acroform, generic.IndirectObject):
        allowed.add(_ref_key(acroform))
    info = before.trailer_view.raw_get("/Info") if "/Info" in before.trailer_view else None
    if isinstance(info, generic.IndirectObject):
        allowed.add(_ref_key(info))
    metadata = before.root.raw_get("/Metadata") if "/Metadata" in before.root else None
    if isinstance(metadata, generic.IndirectObject):
        if not _is_metadata_stream(after.get_object(metadata.reference)):
            return False
        allowed.add(_ref_key(metadata))
    for (ref, old_page), (_ref, new_page) in zip(old_pages, new_pages, strict=True):
        allowed.add(ref)
        old_annots = old_page.raw_get("/Annots") if "/Annots" in old_page else None
        if isinstance(old_annots, generic.IndirectObject):
            allowed.add(_ref_key(old_annots))
        if not _same_except(old_page, new_page, PAGE_KEYS):
            return False
        old_refs, new_refs = _annotation_refs(old_page), _annotation_refs(new_page)
        if new_refs[: len(old_refs)] != old_refs or None in new_refs[len(old_refs) :]:
            return False
        added = list(new_page["/Annots"].get_object())[len(old_refs) :] if new_refs else []
        if not all(_is_signature_widget(annotation) for annotation in added):
            return False
    for ref in reader.xrefs.explicit_refs_in_revision(revision):
        if reader.xrefs.get_introducing_revision(ref) < revision and _ref_key(ref) not in allowed:
            return False  # an object of the rendered letter was overwritten
    return True


def signed_revision_matches(original: bytes, signed: bytes) -> bool:
    """Whether `signed` is `original` plus revisions that only add signatures (for PDFs signed
    outside the portal)."""
    check_pdf_size(original)
    reader = open_pdf(signed)
    if len(signed) <= len(original) or not signed.startswith(original):
        return False
    base = open_pdf(original).xrefs.total_revisions
    try:
        signatures = list(reader.embedded_regular_signatures)
        if not signatures or min(s.signed_revision for s in signatures) != base:
            return False
        if not _adds_only_signatures(reader, base):
            return False
        if reader.xrefs.total_revisions > base + 1:
            later = DEFAULT_DIFF_POLICY.review_file(reader, base)
            level = getattr(later, "modification_level", None)
            if level is None or level > ModificationLevel.FORM_FILLING:
                return False
    except Exception:  # hostile input: anything unreadable does not match
        return False
    return True
