"""The demo's remote-signing holder (docs/remote-signing.md, "In the demo"): the subscriber
account `thuebao` holds an RSSP credential issued by the simulated CA, its key in the CA's
HSM slot, activated with the documented demo PIN and bound to the demo accounts' published
authenticator secret, so that signing through the service can be shown. Seeded once."""

from __future__ import annotations

from base64 import b32decode

from django.contrib.auth import get_user_model

from agencies.demo import DEMO_TOTP_SECRET
from agencies.models import Person
from certificates.choices import SubjectKind
from certificates.services import certificate_issue
from devices.choices import DeviceKind
from devices.models import RemoteCredential
from devices.services import DEMO_PIN, device_deliver_for_certificate
from remote_signing import services
from remote_signing.models import SoleControl

DEMO_HOLDER = "thuebao"


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
    credential = RemoteCredential.objects.get(device=device)
    code = services.activation_code_issue(credential=credential, by=operator)
    services.credential_activate(credential=credential, code=code, pin=DEMO_PIN, by=holder)
    # The published secret instead of the one just drawn, as for the demo accounts' sign-in.
    control = SoleControl.objects.get(credential=credential)
    control.totp_key = b32decode(DEMO_TOTP_SECRET).hex()
    control.save(update_fields=["totp_key"])
    return credential
