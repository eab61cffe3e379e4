"""The full demo: the organisation tree and accounts (agencies.demo), then real certificates
from the simulated CA on devices in every state, and letters at each step of the workflow, so
that every demo role has something to act on. Idempotent.

With the token store (the default), every device the demo issues on is a SoftHSM2 token under
the var directory, marked as a demo device, its user PIN the documented DEMO_PIN (12345678)."""

from datetime import date, timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies.choices import OrgKind
from agencies.demo import DemoAccount, load_demo
from agencies.models import Organization, Person
from certificates.choices import SubjectKind
from certificates.desk.demo import demo_desk_sign
from certificates.models import Certificate, CertificateAuthority
from certificates.services import ca_initialize, certificate_issue
from certificates.signing import personal_signing_certificate, seal_certificate
from devices.choices import DeviceKind
from devices.models import Device
from devices.services import (
    device_deliver_for_certificate,
    device_lock,
    device_register_stock,
    device_token_demo_pin_set,
    handover_notice_create,
)
from remote_signing.demo import demo_remote_head, demo_remote_holder, demo_sim_head
from requests_app import services
from requests_app.choices import FormKind
from requests_app.services.drafting import contact_from_person

FINANCE = "Sở Tài chính tỉnh Lai Châu"


def _user(username):
    return get_user_model().objects.get(username=username)


def _issue_on_token(agency, person, operator, *, days=None):
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=agency, holder=person, by=operator,
        document_ref="Demo",
    )  # fmt: skip
    not_after = timezone.now() + timedelta(days=days) if days else None
    certificate = certificate_issue(
        subject_kind=SubjectKind.PERSON if person else SubjectKind.ORGANIZATION,
        agency=agency,
        person=person,
        subject_organization=None if person else agency,
        device=device,
        not_after=not_after,
        by=operator,
    )
    # A demo device: a SoftHSM2 token under var/tokens whose user PIN is the documented demo
    # PIN (docs/ca.md, "Subscribers' tokens"), so that signing with it can be shown.
    device_token_demo_pin_set(device=device, by=operator)
    return certificate, device


def _contact(person: Person) -> dict:
    return {
        **contact_from_person(person),
        "delivery_address": "Văn phòng Sở Tài chính tỉnh Lai Châu",
    }


def _signing_ready(finance) -> None:
    """The head's personal certificate and the agency's seal, so that "Ký, ban hành" signs
    on the portal out of the box (issued on tokens, like the rest of the demo's)."""
    operator, head = _user("cuc.cts"), _user("lanhdao.stc")
    person = Person.objects.filter(user=head).first()
    if person is not None and personal_signing_certificate(head) is None:
        _issue_on_token(finance, person, operator)
    if seal_certificate(finance) is None:
        _issue_on_token(finance, None, operator)


def issue_signed(letter, *, head, agency) -> None:
    """The head issues the letter and it reaches the province signed and sealed: the worker's
    rendering (run here), then the head's signature and the agency's seal at the desk, made
    in the demo tokens (certificates.desk.demo)."""
    services.cert_request_issue(cert_request=letter, by=head)
    services.letter_document_render(cert_request_id=letter.pk)
    letter.refresh_from_db()
    demo_desk_sign(
        partial(services.letter_desk_prepare, cert_request=letter, by=head),
        partial(services.letter_desk_complete, cert_request=letter, by=head),
    )


@transaction.atomic
def load_full_demo() -> list[DemoAccount]:
    accounts = load_demo()
    if not CertificateAuthority.objects.exists():
        ca_initialize(by=None)
    finance = Organization.objects.get(name=FINANCE)
    if Certificate.objects.filter(agency=finance).exists():
        _signing_ready(finance)  # a demo loaded before the portal signed letters
        demo_device_signers()
        demo_remote_holder()
        demo_sim_head()
        demo_remote_head()
        return accounts

    operator, clerk, head, officer = (
        _user(n) for n in ("cuc.cts", "canbo.stc", "lanhdao.stc", "so.khcn")
    )
    for number in range(1, 16):
        device_register_stock(kind=DeviceKind.USB_TOKEN, serial=f"VT26{number:05d}", by=operator)

    people = list(Person.objects.within(finance.path))
    by_name = {p.full_name: p for p in people}
    certificates, devices = {}, []
    for person in people:
        days = 20 if person.full_name == "Hoàng Văn Dũng" else None
        certificate, device = _issue_on_token(finance, person, operator, days=days)
        certificates[person.full_name] = certificate
        devices.append(device)
    # The clerk hands the tokens over; the Mẫu 07 notice waits for the head's desk signature.
    handover_notice_create(
        agency=finance,
        devices=devices,
        acknowledged=[d.pk for d in devices],
        handed_on=timezone.localdate(),
        by=clerk,
    )
    _issue_on_token(finance, None, operator)
    locked = Device.objects.get(certificates=certificates["Đỗ Thị Lan Anh"])
    device_lock(device=locked, by=clerk, note="Nhập sai mã PIN quá số lần quy định")

    # A draft Mẫu 01 the clerk can finish.
    draft = services.cert_request_create(
        agency=finance,
        form=FormKind.ISSUE_PERSON,
        by=clerk,
        **_contact(by_name["Nguyễn Thị Thu Hà"]),
    )
    services.row_save(
        cert_request=draft,
        by=clerk,
        data={
            "full_name": "Lò Thị Mai",
            "date_of_birth": date(1993, 2, 14),
            "national_id": "012193004567",
            "id_issue_date": date(2022, 5, 20),
            "id_issue_place": "CCSĐKQLCTVDLQGVDC",
            "email": "mailt@laichau.gov.vn",
            "work_agency": FINANCE,
            "province_name": "Lai Châu",
            "position_title": "Chuyên viên",
            "mobile": "0912777888",
        },
    )
    # A Mẫu 04 renewal waiting for the Sở KH&CN.
    renewal = services.cert_request_create(
        agency=finance,
        form=FormKind.RENEW_CHANGE,
        by=clerk,
        **_contact(by_name["Nguyễn Thị Thu Hà"]),
    )
    services.row_save(
        cert_request=renewal,
        by=clerk,
        data={"certificate": certificates["Trần Đức Minh"], "renew": True},
    )
    services.cert_request_submit(cert_request=renewal, by=clerk)
    issue_signed(renewal, head=head, agency=finance)
    # A Mẫu 05 revocation already forwarded to the CA.
    revocation = services.cert_request_create(
        agency=finance, form=FormKind.REVOKE, by=clerk, **_contact(by_name["Nguyễn Thị Thu Hà"])
    )
    services.row_save(
        cert_request=revocation,
        by=clerk,
        data={"certificate": certificates["Vàng A Sử"], "revoke_reason": "retired"},
    )
    services.cert_request_submit(cert_request=revocation, by=clerk)
    issue_signed(revocation, head=head, agency=finance)
    services.cert_request_forward(cert_request=revocation, by=officer)
    demo_device_signers()
    demo_remote_holder()
    demo_sim_head()
    demo_remote_head()
    return accounts


CA_SUPERIOR = "Ban Cơ yếu Chính phủ"


def demo_device_signers() -> None:
    """The certificates the device documents' signing needs in the demo
    (paperwork/desk.py), each issued only when missing, so that this and the
    letters' seeding can both run: the finance head's personal certificate, the finance
    department's seal, and the CA operator's personal certificate for signing the Mẫu 08 it
    receives. The CA issues only to people under a managing agency (kind AGENCY or MINISTRY),
    so the operator's person sits under the CA's superior body."""
    operator, head = _user("cuc.cts"), _user("lanhdao.stc")
    finance = Organization.objects.get(name=FINANCE)
    if personal_signing_certificate(head) is None:
        person = Person.objects.get(user=head)
        _issue_on_token(finance, person, operator)
    if seal_certificate(finance) is None:
        _issue_on_token(finance, None, operator)
    if personal_signing_certificate(operator) is None:
        superior, _created = Organization.objects.get_or_create(
            kind=OrgKind.MINISTRY,
            name=CA_SUPERIOR,
            parent=None,
            defaults={"official_email": "bcy@ca-mophong.gov.vn"},
        )
        person, _created = Person.objects.with_national_id("001088009001").get_or_create(
            defaults={
                "national_id": "001088009001",
                "full_name": "Vũ Đức Thắng",
                "date_of_birth": date(1988, 9, 9),
                "id_issue_date": date(2022, 3, 3),
                "id_issue_place": "CCSĐKQLCTVDLQGVDC",
                "position": "Chuyên viên",
                "mobile": "0904009001",
                "official_email": "thangvd@ca-mophong.gov.vn",
                "organization": superior,
                "user": operator,
            },
        )
        _issue_on_token(superior, person, operator)
