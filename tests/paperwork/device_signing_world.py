"""The device-signing world shared by tests/paperwork/test_device_signing.py (Mẫu 07 and
09, the head signs), test_device_countersigning.py (Mẫu 08, both parties) and
test_device_desk_signing.py (the pages' endpoints): the documents to sign, each party's signing
at its desk (tests/desk.py `sign_at_desk` over paperwork/desk.py) and what to read
back from a signed PDF. Its fixtures (the head and the province's officer with their
certificates) are in tests/requests_app/conftest.py (the head built by `head_of_agency_a`, which
tests/mailing/conftest.py uses too), the token and the NSS database for pdfsig in
tests/conftest.py."""

import re
from datetime import date
from functools import partial
from io import BytesIO

from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from certificates import services as ca_services
from certificates.choices import SubjectKind
from devices.choices import ReceiverKind, ReturnReason
from devices.models import (
    HandoverNotice,
    LossReport,
    ReturnMinutes,
)
from devices.services import (
    device_return_obligation_open,
    handover_notice_create,
    loss_report_create,
    return_minutes_create,
)
from paperwork.desk import (
    device_document_desk_complete,
    device_document_desk_prepare,
    return_minutes_receiver_desk_complete,
    return_minutes_receiver_desk_prepare,
)
from tests import factories as f
from tests.desk import sign_at_desk

VALID = "Signature Validation: Signature is Valid."


def issue(cast, **kwargs):
    kwargs.setdefault("subject_kind", SubjectKind.PERSON)
    kwargs.setdefault("agency", cast.agency_a)
    kwargs.setdefault("by", cast.ca_operator)
    return ca_services.certificate_issue(**kwargs)


def head_of_agency_a(cast):
    """Agency A's head with a personal certificate, and the agency's seal."""
    person = f.PersonFactory(
        organization=cast.agency_a,
        user=cast.head_a,
        full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
        official_email="duong.tta@thunghiem.gov.vn",
    )
    issue(cast, person=person)
    issue(cast, subject_kind=SubjectKind.ORGANIZATION)
    return person


def notice_of(cast, token) -> HandoverNotice:
    return handover_notice_create(
        agency=cast.agency_a,
        devices=[token],
        acknowledged={token.pk},
        handed_on=timezone.localdate(),
        by=cast.clerk_a,
    )


def loss_of(cast, token) -> LossReport:
    notice_of(cast, token)
    token.refresh_from_db()
    return loss_report_create(
        device=token,
        lost_on=date(2026, 3, 7),
        lost_place="Bến xe khách Lai Châu",
        circumstances="Để quên trên xe khách tuyến Lai Châu – Điện Biên.",
        by=cast.clerk_a,
    )


def minutes_of(cast, token) -> ReturnMinutes:
    notice_of(cast, token)
    token.refresh_from_db()
    device_return_obligation_open(
        device=token,
        reason=ReturnReason.REVOKED,
        notified_on=timezone.localdate(),
        by=None,
        certificate_serial="54AB0000DEADBEEF",
    )
    token.refresh_from_db()
    return return_minutes_create(
        agency=cast.agency_a,
        devices=[token],
        held_at=timezone.now(),
        place="Hội trường Sở Tài chính",
        receiver_kind=ReceiverKind.PROVINCE,
        agency_representative="Nguyễn Thị Thu Hà",
        by=cast.clerk_a,
    )


def agency_signs(document, by):
    """The agency head signs `document` at their desk (signature, then seal): the agency's
    stored signed version."""
    return sign_at_desk(
        partial(device_document_desk_prepare, document=document, by=by),
        partial(device_document_desk_complete, document=document, by=by),
        by,
    ).document


def receiver_signs(minutes, by):
    """The receiving side signs the Mẫu 08 at its desk (officer, then its seal if it has one):
    the receiver's stored signed version."""
    return sign_at_desk(
        partial(return_minutes_receiver_desk_prepare, minutes=minutes, by=by),
        partial(return_minutes_receiver_desk_complete, minutes=minutes, by=by),
        by,
    ).document


def widget_boxes(pdf: bytes) -> dict[str, list[float]]:
    """The rectangle of each signature field's widget, by field name."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    fields = [field.get_object() for field in reader.root["/AcroForm"]["/Fields"]]
    return {str(field["/T"]): [float(v) for v in field["/Rect"]] for field in fields}


def signature_sections(report: str) -> list[str]:
    return re.split(r"^Signature #\d+:$", report, flags=re.MULTILINE)[1:]
