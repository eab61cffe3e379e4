"""The demo's remote-signing holders (docs/remote-signing.md, "In the demo"): the subscriber
account `thuebao` holds an RSSP credential issued by the simulated CA, its key in the CA's
HSM slot, activated with the documented demo PIN and bound to the demo accounts' published
authenticator secret; the health department's head `lanhdao.syt` holds their personal
certificate and the department's seal on SIM PKIs (SoftHSM2 tokens standing in for the SIMs)
whose PIN is the demo PIN, so that signing a letter from the phone can be shown; the Đà Nẵng
construction department's head `lanhdao.sxd.dn` holds theirs and the department's seal in the
CA's HSM, signing at "Ký" with the demo PIN and a code of the published secret. Seeded once."""

from __future__ import annotations

from base64 import b32decode

from django.contrib.auth import get_user_model

from agencies.demo import DEMO_TOTP_SECRET
from agencies.models import Organization, Person
from certificates.choices import SubjectKind
from certificates.services import certificate_issue
from certificates.signing import personal_signing_certificate, seal_certificate
from devices.choices import Carrier, DeviceKind
from devices.models import RemoteCredential
from devices.services import (
    DEMO_PIN,
    device_deliver_for_certificate,
    device_token_demo_pin_set,
    token_store_on,
)
from remote_signing import services
from remote_signing.models import SoleControl

DEMO_HOLDER = "thuebao"
DEMO_SIM_HEAD = "lanhdao.syt"
DEMO_REMOTE_HEAD = "lanhdao.sxd.dn"
HEALTH = "Sở Y tế tỉnh Lai Châu"
CONSTRUCTION = "Sở Xây dựng thành phố Đà Nẵng"
# The SIMs' numbers: the head's own, and the one the department's seal is on.
DEMO_SIM_PHONES = ("0912000701", "0912000702")


def demo_remote_holder() -> RemoteCredential | None:
    """`thuebao`'s activated RSSP credential, made when missing; None without the account."""
    users = get_user_model().objects
    holder = users.filter(username=DEMO_HOLDER).first()
    operator = users.filter(username="cuc.cts").first()
    person = Person.objects.filter(user=holder).select_related("organization").first()
    if holder is None or operator is None or person is None:
        return None
    existing = RemoteCredential.objects.filter(device__holder=person).first()
    if existing is not None:
        return existing
    agency = person.organization.managing_agency
    device = device_deliver_for_certificate(
        kind=DeviceKind.RSSP, agency=agency, holder=person, by=operator,
        document_ref="Demo",
    )  # fmt: skip
    certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=agency, person=person,
        device=device, by=operator,
    )  # fmt: skip
    return _activated(RemoteCredential.objects.get(device=device), holder, operator)


def _activated(credential: RemoteCredential, user, operator) -> RemoteCredential:
    """Activated by `user` with the demo PIN and bound to the published secret instead of
    the one just drawn, as for the demo accounts' sign-in."""
    code = services.activation_code_issue(credential=credential, by=operator)
    services.credential_activate(credential=credential, code=code, pin=DEMO_PIN, by=user)
    control = SoleControl.objects.get(credential=credential)
    control.totp_key = b32decode(DEMO_TOTP_SECRET).hex()
    control.save(update_fields=["totp_key"])
    return credential


def demo_remote_head() -> Person | None:
    """`lanhdao.sxd.dn` with a personal certificate and the construction department's seal,
    both keys in the CA's HSM (RSSP), activated with the demo PIN and the published secret;
    made when missing. None without the account."""
    return _demo_head(
        DEMO_REMOTE_HEAD, CONSTRUCTION, "048085009001",
        {"full_name": "Nguyễn Văn Thành", "mobile": "0905000901",
         "official_email": "thanhnv@sxd.danang.gov.vn"},
        issue=_issue_remote,
    )  # fmt: skip


def _demo_head(username, agency_name, national_id, details, *, issue) -> Person | None:
    """The demo head `username` of `agency_name` (a person made when missing) with a personal
    certificate and the agency's seal, each `issue`d when missing."""
    users = get_user_model().objects
    head = users.filter(username=username).first()
    operator = users.filter(username="cuc.cts").first()
    agency = Organization.objects.filter(name=agency_name).first()
    if head is None or operator is None or agency is None:
        return None
    person, _created = Person.objects.with_national_id(national_id).get_or_create(
        defaults={
            "national_id": national_id, "position": "Giám đốc", "organization": agency,
            "user": head, **details,
        }
    )  # fmt: skip
    if personal_signing_certificate(head) is None:
        issue(agency, person, operator, SubjectKind.PERSON)
    if seal_certificate(agency) is None:
        issue(agency, person, operator, SubjectKind.ORGANIZATION)
    return person


def _certify(agency, holder: Person, operator, device, subject_kind: str) -> None:
    """The head's personal certificate, or the agency's seal, issued onto `device`."""
    certificate_issue(
        subject_kind=subject_kind, agency=agency,
        person=holder if subject_kind == SubjectKind.PERSON else None,
        subject_organization=None if subject_kind == SubjectKind.PERSON else agency,
        device=device, by=operator,
    )  # fmt: skip


def _issue_remote(agency, holder: Person, operator, subject_kind: str) -> None:
    device = device_deliver_for_certificate(
        kind=DeviceKind.RSSP, agency=agency, holder=holder, by=operator, document_ref="Demo"
    )
    _certify(agency, holder, operator, device, subject_kind)
    _activated(RemoteCredential.objects.get(device=device), holder.user, operator)


def demo_sim_head() -> Person | None:
    """`lanhdao.syt` with a personal certificate and the health department's seal each on a
    SIM PKI of their own, PIN the demo PIN; made when missing. None without the account or
    without the token store (the SIM is a token)."""
    if not token_store_on():
        return None
    return _demo_head(
        DEMO_SIM_HEAD, HEALTH, "012088007001",
        {"full_name": "Tòng Văn Hải", "mobile": DEMO_SIM_PHONES[0],
         "official_email": "haitv@syt.laichau.gov.vn"},
        issue=lambda agency, holder, operator, kind: _issue_on_sim(
            agency, holder, operator,
            DEMO_SIM_PHONES[0 if kind == SubjectKind.PERSON else 1], kind,
        ),
    )  # fmt: skip


def _issue_on_sim(agency, holder, operator, phone: str, subject_kind: str) -> None:
    device = device_deliver_for_certificate(
        kind=DeviceKind.SIM_PKI, agency=agency, holder=holder, by=operator, document_ref="Demo",
        sim={"iccid": f"8984{phone[1:]}000001", "phone": phone, "carrier": Carrier.VIETTEL},
    )  # fmt: skip
    _certify(agency, holder, operator, device, subject_kind)
    device_token_demo_pin_set(device=device, by=operator)
