"""Each of the nine documents (Mẫu 01–06 letters, Mẫu 07–09 device documents), rendered from
minimal valid data and signed (letters at the desk): no labelled field printed empty, and the person
printed under the signature, the one the stamp names and the one the certificate names are
the same (docs/domain.md §9, §10.1). Signing on behalf (KT., TL., TUQ., Q.) is printed per
Nghị định 30/2020 (Phụ lục I)."""

import os
from pathlib import Path

import pytest

from agencies.choices import Role, SigningAuthority
from agencies.documents import Signatory, signatory_for
from agencies.models import Membership
from portal.documents import DocumentKind
from portal.lib.pdf import render_pdf
from requests_app import services
from requests_app.choices import FormKind
from requests_app.documents import SIGNATURE_ANCHOR, TEMPLATES, letter_document
from tests.document_checks import (
    certificate_names,
    empty_labelled_fields,
    printed_under,
    signature_block,
    stamp_name_lines,
    text_of,
)
from tests.paperwork.device_signing_world import (
    agency_signs,
    loss_of,
    minutes_of,
    notice_of,
    receiver_signs,
)
from tests.requests_app.document_letters import ALL_FORMS, rows_for
from tests.requests_app.letters import head_signs

pytestmark = pytest.mark.django_db

# Where a run can leave the PDFs it made, to look at them (pdftoppm -png).
KEEP = os.environ.get("KEEP_DOCUMENTS")

MINIMAL_CONTACT = {"contact_name": "Nguyễn Thị Thu Hà", "contact_mobile": "0912100101"}


def _keep(name: str, pdf: bytes) -> None:
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        (Path(KEEP) / name).write_bytes(pdf)


def _minimal_letter(cast, form):
    contact = dict(MINIMAL_CONTACT)
    if form != FormKind.RECOVER_DEVICE:
        contact["contact_email"] = "ha@laichau.gov.vn"
    letter = services.cert_request_create(
        agency=cast.agency_a, form=form, by=cast.clerk_a, **contact
    )
    rows, _shown = rows_for(cast, form)
    for data in rows:
        services.row_save(cert_request=letter, by=cast.clerk_a, data=data)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    return letter


def _same_person(pdf: bytes, anchor: str, person) -> None:
    assert printed_under(pdf, anchor) == person.full_name
    assert stamp_name_lines(pdf)[0] == person.full_name
    assert certificate_names(pdf)[0] == person.full_name


@pytest.mark.parametrize("form", ALL_FORMS)
def test_each_letter_signed_at_the_desk_prints_no_empty_field_and_names_its_signer_once(
    cast, head, form
):
    letter = _minimal_letter(cast, form)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    head_signs(letter, by=cast.head_a)
    signed = letter.documents.get(kind=DocumentKind.SIGNED)
    assert signed.kind == DocumentKind.SIGNED
    pdf = bytes(signed.content)
    _keep(f"mau_{form}_signed.pdf", pdf)

    assert empty_labelled_fields(pdf) == []
    _same_person(pdf, SIGNATURE_ANCHOR, head)
    # The second signature is the agency's seal, with its organisation certificate.
    assert certificate_names(pdf)[1] == cast.agency_a.name


def test_mau_06_names_the_helpers_agency_when_the_clerk_left_it_blank(cast, head):
    letter = _minimal_letter(cast, FormKind.RECOVER_DEVICE)
    pdf = render_pdf(
        TEMPLATES[letter.form], letter_document(letter, number="", issued_on=None, signer=None)
    )
    text = text_of(pdf)

    assert f"- Cơ quan công tác: {cast.agency_a.name}" in text
    assert "Số định danh cá nhân" not in text and "Chức vụ:" not in text


@pytest.mark.parametrize("form", ["07", "09"])
def test_mau_07_and_09_signed_by_the_head_print_the_head_under_their_stamp(cast, head, token, form):
    document = (notice_of if form == "07" else loss_of)(cast, token)
    signed = agency_signs(document, cast.head_a)
    pdf = bytes(signed.content)
    _keep(f"mau_{form}_signed.pdf", pdf)

    assert empty_labelled_fields(pdf) == []
    _same_person(pdf, "chu-ky-co-quan", head)
    assert certificate_names(pdf)[1] == cast.agency_a.name


def test_mau_08_prints_under_each_signature_only_the_person_whose_stamp_is_there(
    cast, head, officer, token
):
    minutes = minutes_of(cast, token)  # the clerk names another representative of the agency
    assert minutes.agency_representative != head.full_name
    agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()
    signed = receiver_signs(minutes, cast.officer_1)
    pdf = bytes(signed.content)
    _keep("mau_08_signed.pdf", pdf)

    _same_person(pdf, "chu-ky-co-quan", head)
    assert empty_labelled_fields(pdf) == []
    # The receiver signs over what the agency signed: its block names nobody else, its stamp
    # and its certificate name the officer.
    assert printed_under(pdf, "chu-ky-ben-nhan") in ("", officer.full_name)
    assert stamp_name_lines(pdf) == [head.full_name, officer.full_name]
    assert certificate_names(pdf) == [head.full_name, cast.agency_a.name, officer.full_name]


# --- signing on behalf (Nghị định 30/2020, Phụ lục I) -------------------------------------
def _signing_as(cast, head, authority: str, position: str):
    head.position = position
    head.save()
    Membership.objects.filter(
        user=cast.head_a, role=Role.AGENCY_HEAD, organization=cast.agency_a
    ).update(authority=authority, on_behalf_of="Giám đốc" if authority else "")
    letter = _minimal_letter(cast, FormKind.ISSUE_ORGANIZATION)
    pdf = render_pdf(
        TEMPLATES[letter.form],
        letter_document(letter, number="1/STC-CKS", issued_on=None, signer=cast.head_a),
    )
    _keep(f"authority_{authority or 'own'}.pdf", pdf)
    return signature_block(pdf, SIGNATURE_ANCHOR)


@pytest.mark.parametrize(
    ("authority", "position", "block"),
    [
        ("", "Giám đốc", ["GIÁM ĐỐC"]),
        (SigningAuthority.KT, "Phó Giám đốc", ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]),
        (SigningAuthority.TL, "Chánh Văn phòng", ["TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG"]),
        (SigningAuthority.TUQ, "Trưởng phòng", ["TUQ. GIÁM ĐỐC", "TRƯỞNG PHÒNG"]),
        (SigningAuthority.Q, "Phó Giám đốc", ["Q. GIÁM ĐỐC"]),
    ],
)
def test_the_signature_block_prints_the_authority_line_above_the_title(
    cast, head, authority, position, block
):
    lines = _signing_as(cast, head, authority, position)
    name = lines.index(head.full_name)

    assert lines[name - len(block) : name] == block
    on_behalf = [line for line in lines if line.startswith(("KT.", "TL.", "TUQ.", "Q."))]
    assert on_behalf == block[:1] if authority else on_behalf == []


def test_a_deputy_without_an_authority_signs_in_their_own_title_only(cast, head):
    assert signatory_for(cast.head_a, cast.agency_a) == Signatory(
        name=head.full_name, position="Giám đốc"
    )
    deputy = Signatory(name="A", position="Phó Giám đốc", authority="KT", on_behalf_of="Giám đốc")
    acting = Signatory(name="A", position="Phó Giám đốc", authority="Q", on_behalf_of="Giám đốc")

    assert (deputy.authority_line, deputy.title) == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    assert (acting.authority_line, acting.title) == ("", "Q. GIÁM ĐỐC")


def test_the_database_refuses_an_authority_without_the_heads_title(cast):
    from django.db import IntegrityError, transaction

    membership = Membership.objects.filter(user=cast.head_a, role=Role.AGENCY_HEAD).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(authority="KT", on_behalf_of="")
