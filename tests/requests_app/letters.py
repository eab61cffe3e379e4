"""Letters brought to a stage through the services, as people would, and the page helpers of
the review tests. Each builder gives every row a new person, so rows never collide."""

import itertools
from datetime import date, timedelta
from functools import partial

from django.urls import reverse
from django.utils import timezone

from devices.choices import DeviceStatus
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests import factories as f
from tests.ca_once import ca_ready
from tests.desk import sign_at_desk
from tests.helpers import reauth_for

CONTACT = {
    "contact_name": "Nguyễn Thị Thu Hà",
    "contact_mobile": "0912100101",
    "contact_email": "ha@laichau.gov.vn",
}
_serial = itertools.count(1)


def person_row(**overrides) -> dict:
    n = next(_serial)
    data = {
        "full_name": f"Lò Thị Mai {n}",
        "date_of_birth": date(1990, 1, 1),
        "national_id": f"0121900{n:05d}",
        "id_issue_date": date(2021, 1, 1),
        "id_issue_place": "CCSQLHCVTTXH",
        "email": f"mai{n}@laichau.gov.vn",
        "work_agency": "Sở Tài chính",
        "province_name": "Lai Châu",
        "position_title": "Chuyên viên",
        "mobile": f"0912{n:06d}",
    }
    data.update(overrides)
    return data


def certificate_of(agency, *, days_left=200, **fields):
    """A registry certificate of `agency` with `days_left` whole days of validity left."""
    fields.setdefault("person", f.PersonFactory(organization=agency))
    return f.CertificateFactory(
        agency=agency, not_after=timezone.now() + timedelta(days=days_left, hours=1), **fields
    )


def row_data(form: str, agency) -> dict:
    if form == FormKind.ISSUE_PERSON:
        return person_row()
    if form == FormKind.ISSUE_ORGANIZATION:
        n = next(_serial)
        return {
            "organization_name": f"Trung tâm Thử nghiệm {n}",
            "address": "Phường Tân Phong",
            "tax_code": f"62001{n:05d}",
            "budget_code": f"{1200000 + n}",
            "province_name": "Lai Châu",
            "email": f"trungtam{n}@laichau.gov.vn",
        }
    if form == FormKind.ISSUE_DEVICE:
        n = next(_serial)
        return {
            "service_name": f"Cổng dịch vụ công {n}",
            "service_version": "2.1",
            "domain_or_ip": f"dvc{n}.laichau.gov.vn",
            "organization_name": "Sở Tài chính tỉnh Lai Châu",
            "tax_code": f"62002{n:05d}",
            "budget_code": f"{1300000 + n}",
            "province_name": "Lai Châu",
            "email": f"dvc{n}@laichau.gov.vn",
            "purpose": "Ký số văn bản điện tử",
            "key_storage": "hsm",
        }
    if form == FormKind.RENEW_CHANGE:
        return {"certificate": certificate_of(agency), "renew": True}
    if form == FormKind.REVOKE:
        return {"certificate": certificate_of(agency), "revoke_reason": "retired"}
    if form == FormKind.RECOVER_DEVICE:
        return {"device": f.DeviceFactory(agency=agency, status=DeviceStatus.LOCKED)}
    raise AssertionError(form)


def draft(
    cast, form=FormKind.ISSUE_PERSON, *, rows=1, by=None, agency=None, remote_signing=False
) -> CertRequest:
    by = by or cast.clerk_a
    agency = agency or cast.agency_a
    cert_request = services.cert_request_create(
        agency=agency, form=form, by=by, remote_signing=remote_signing, **CONTACT
    )
    for _ in range(rows):
        services.row_save(cert_request=cert_request, by=by, data=row_data(form, agency))
    return cert_request


STAGES = (Status.DRAFT, Status.AWAITING_HEAD, Status.PROVINCE_REVIEW, Status.FORWARDED)


def signing_ready(cast, *, head=None, agency=None):
    """The simulated CA, the head's personal certificate and the agency's seal (issued by the
    CA's own services when missing): what the portal needs to sign the head's letters."""
    from agencies.models import Person
    from certificates.choices import SubjectKind
    from certificates.services import certificate_issue
    from certificates.signing import personal_signing_certificate, seal_certificate

    head = head or cast.head_a
    agency = agency or cast.agency_a
    ca_ready()
    if personal_signing_certificate(head) is None:
        person = Person.objects.filter(user=head).first() or f.PersonFactory(
            organization=agency, user=head, full_name="Trần Thị Ánh Dương", position="Giám đốc"
        )
        certificate_issue(
            subject_kind=SubjectKind.PERSON, agency=agency, person=person, by=cast.ca_operator
        )
    if seal_certificate(agency) is None:
        certificate_issue(subject_kind=SubjectKind.ORGANIZATION, agency=agency, by=cast.ca_operator)


def issue_signed(cast, cert_request, *, by=None, number: str = "") -> CertRequest:
    """The head issues the letter, the worker's service renders it in-process, and the head
    signs and seals it at the desk (tests/desk.py): the letter reaches the province with a
    real signed version (verified on receipt)."""
    by = by or cast.head_a
    signing_ready(cast, head=by, agency=cert_request.agency)
    services.cert_request_issue(cert_request=cert_request, by=by, number=number)
    return head_signs(cert_request, by=by)


def head_signs(cert_request, *, by) -> CertRequest:
    """After the head's issue: the worker's rendering (in-process), then both desk rounds."""
    services.letter_document_render(cert_request_id=cert_request.pk)
    cert_request.refresh_from_db()
    sign_at_desk(
        partial(services.letter_desk_prepare, cert_request=cert_request, by=by),
        partial(services.letter_desk_complete, cert_request=cert_request, by=by),
        by,
    )
    cert_request.refresh_from_db()
    return cert_request


def letter_at(cast, stage, form=FormKind.ISSUE_PERSON, *, rows=1, accepted=False, **kwargs):
    """A letter of agency A brought to `stage` through the services, as people would."""
    cert_request = draft(cast, form, rows=rows, **kwargs)
    for step, status in enumerate(STAGES[1:], start=1):
        if STAGES.index(stage) < step:
            break
        if status == Status.AWAITING_HEAD:
            services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
        elif status == Status.PROVINCE_REVIEW:
            issue_signed(cast, cert_request)
        elif status == Status.FORWARDED:
            services.cert_request_forward(cert_request=cert_request, by=cast.officer_1)
    if accepted:
        by = cast.ca_operator if stage == Status.FORWARDED else cast.officer_1
        services.cert_request_accept_valid_rows(cert_request=cert_request, by=by)
    cert_request.refresh_from_db()
    assert cert_request.status == stage
    return cert_request


def post_action(client, cert_request, action, **data):
    """Post an action from the letter's page, confirmed with the user's password and, when they
    have a second factor, a code (an action marked `reauth` asks for them; the others ignore
    them)."""
    url = reverse("requests_app:action", args=[cert_request.pk, action])
    return client.post(url, {**reauth_for(client), **data})


def page_messages(client, cert_request) -> list[str]:
    response = client.get(reverse("requests_app:detail", args=[cert_request.pk]))
    return [str(m) for m in response.context["messages"]]
