"""Every official document is PDF/A-3b (docs/documents.md §8): each of the nine forms (Mẫu
01–06 letters, Mẫu 07–09 device documents), rendered from minimal data, declares pdfaid:part 3
and conformance B in its XMP packet with its title (the document information saying the same),
carries an sRGB output intent (/GTS_PDFA1), embeds every font, is not encrypted, holds no
JavaScript and no annotation PDF/A refuses; and a letter signed at the desk (two incremental
updates, two printable stamps) still does. The demand registration and the monthly report,
rendered by the same helper, are checked too."""

import pytest

from dashboard.months import Month
from dashboard.reports import report_pdf
from demand.documents import registration_pdf
from demand.services import registration_start
from devices.services import device_document_pdf
from portal.documents import DocumentKind
from requests_app.choices import FormKind
from requests_app.documents import SUBJECTS
from requests_app.models import LetterDocument
from requests_app.tasks import letter_document_render_task
from tests.demand.world import province_campaign
from tests.devices.document_builders import BUILDERS
from tests.document_checks import (
    annotations,
    fonts_embedded,
    info_xmp_disagreements,
    names_of_every_object,
    output_intents,
    pdfa_identification,
    pdfinfo,
    unprintable_annotations,
    xmp_titles,
)
from tests.requests_app.document_letters import ALL_FORMS, ISSUE_DAY, issued_letter
from tests.requests_app.letters import head_signs

pytestmark = pytest.mark.django_db

JAVASCRIPT_NAMES = {"/JavaScript", "/JS"}


def _letter_pdf(cast, form):
    letter, _shown = issued_letter(cast, form)
    document = LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))
    return letter, bytes(document.content)


def _device_pdf(cast, token, form) -> tuple[bytes, str]:
    document = BUILDERS[form](cast, token)
    stored = device_document_pdf(document=document, by=cast.clerk_a)
    return bytes(stored.content), str(document)


def _assert_pdfa_3b(pdf: bytes) -> None:
    assert pdfa_identification(pdf) == {"part": "3", "conformance": "B"}
    assert info_xmp_disagreements(pdf) == []
    assert output_intents(pdf) == [("/GTS_PDFA1", True)]
    fonts = fonts_embedded(pdf)
    assert fonts and {emb for _name, emb in fonts} == {"yes"}, fonts
    info = pdfinfo(pdf)
    assert (info["Encrypted"], info["JavaScript"]) == ("no", "no")
    names = names_of_every_object(pdf)
    assert names & JAVASCRIPT_NAMES == set()
    assert "/ID" in names  # the file identifier PDF/A asks of the trailer
    assert b"/JavaScript" not in pdf
    assert unprintable_annotations(pdf) == []


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_is_pdfa_3b_with_its_title_in_the_xmp(cast, form):
    letter, pdf = _letter_pdf(cast, form)
    title = f"{FormKind(form).label} {letter.number}"

    _assert_pdfa_3b(pdf)
    assert xmp_titles(pdf) == [title]
    assert pdfinfo(pdf)["Title"] == title


@pytest.mark.parametrize("form", ["07", "08", "09"])
def test_each_device_document_is_pdfa_3b_with_its_title_in_the_xmp(cast, token, form):
    pdf, title = _device_pdf(cast, token, form)

    _assert_pdfa_3b(pdf)
    assert xmp_titles(pdf) == [title]


def test_a_demand_registration_and_a_monthly_report_are_pdfa_3b_too(cast):
    campaign = province_campaign(cast)
    registration = registration_start(campaign=campaign, agency=cast.agency_a, by=cast.clerk_a)
    month = Month(2026, 2)
    documents = {
        f"Đăng ký nhu cầu chứng thư số {campaign.period} – {cast.agency_a.name}": (
            registration_pdf(registration, by=cast.clerk_a)
        ),
        f"Báo cáo tháng {month.label} – {cast.office_1.name}": report_pdf(
            user=cast.officer_1,
            province=cast.province_1,
            office=cast.office_1,
            month=month,
            number="",
            day=None,
        ),
    }

    for title, pdf in documents.items():
        _assert_pdfa_3b(pdf)
        assert xmp_titles(pdf) == [title]


def test_a_letters_metadata_names_its_agency_number_subject_and_day(cast):
    letter, pdf = _letter_pdf(cast, FormKind.ISSUE_ORGANIZATION)
    info = pdfinfo(pdf)

    assert info["Author"] == cast.agency_a.name
    assert info["Keywords"] == f"Số {letter.number}"
    assert info["Subject"] == SUBJECTS[FormKind.ISSUE_ORGANIZATION]
    assert info["CreationDate"].startswith(ISSUE_DAY.date().isoformat())


def test_a_letter_signed_at_the_desk_keeps_its_pdfa_declaration(cast, head):
    letter, _shown = issued_letter(cast, FormKind.ISSUE_ORGANIZATION, frozen=False)
    head_signs(letter, by=cast.head_a)
    rendered = bytes(letter.documents.get(kind=DocumentKind.RENDERED).content)
    signed = bytes(letter.documents.get(kind=DocumentKind.SIGNED).content)
    assert signed.startswith(rendered)  # incremental updates over the rendered file

    _assert_pdfa_3b(signed)
    assert xmp_titles(signed) == xmp_titles(rendered)
    # The stamps' font (pyHanko's OpenType engine) is embedded too, and both stamps print.
    assert len(fonts_embedded(signed)) > len(fonts_embedded(rendered))
    assert [subtype for _page, subtype, _f, _ap, _zero in annotations(signed)] == ["/Widget"] * 2
