"""The data subject's tests' world: the cast's subscriber (agency A's unit, with an account)
with something of theirs in every record type the export reads, and the portal's system
certificate on a SoftHSM2 token for the signed PDF."""

from datetime import date
from types import SimpleNamespace

from certificates.choices import SubjectKind
from devices.choices import DeviceStatus
from requests_app import services
from requests_app.choices import FormKind
from requests_app.models import RequestRow
from tests import factories as f
from tests.exchange.edxml_world import exchange_token


def subject_world(cast) -> SimpleNamespace:
    """The subscriber with a certificate, a device in their custody, a Mẫu 01 row linked to
    their record, a row of another letter naming only their ID number (never linked), and a
    letter whose contact they are; and another person of the same agency with a row too."""
    person = cast.subscriber
    certificate = f.CertificateFactory(person=person, agency=cast.agency_a)
    device = f.DeviceFactory(
        agency=cast.agency_a,
        holder=person,
        status=DeviceStatus.HANDED_TO_SUBSCRIBER,
        serial="TK77000001",
    )
    letter = services.cert_request_create(
        agency=cast.agency_a,
        form=FormKind.ISSUE_PERSON,
        by=cast.clerk_a,
        contact_name=person.full_name,
        contact_national_id=person.national_id,
        contact_mobile=person.mobile,
        contact_email=person.official_email,
    )
    linked = RequestRow.objects.create(
        cert_request=letter, position=1, person=person, full_name=person.full_name,
        national_id=person.national_id, email=person.official_email,
        date_of_birth=date(1985, 5, 17), position_title="Chuyên viên chính",
    )  # fmt: skip
    other_letter = f.letter_draft(cast)
    unlinked = RequestRow.objects.create(
        cert_request=other_letter, position=1, full_name="Tên gõ khác",
        national_id=person.national_id, email="ten.khac@laichau.gov.vn",
    )  # fmt: skip
    stranger = f.PersonFactory(organization=cast.agency_a, full_name="Người Khác Hẳn")
    stranger_row = RequestRow.objects.create(
        cert_request=other_letter, position=2, person=stranger, full_name=stranger.full_name,
        national_id=stranger.national_id, email=stranger.official_email,
    )  # fmt: skip
    f.CertificateFactory(person=stranger, agency=cast.agency_a)
    return SimpleNamespace(
        cast=cast, person=person, user=cast.subscriber_user, certificate=certificate,
        device=device, letter=letter, linked=linked, unlinked=unlinked, stranger=stranger,
        stranger_row=stranger_row,
    )  # fmt: skip


def system_seal(settings, cast):
    """The portal's system certificate (a Mẫu 03 certificate of the CA's organisation, its key
    made inside a SoftHSM2 token and issued by the simulated CA), set as the
    PORTAL_SYSTEM_SIGNING_* settings; the registry's certificate."""
    certificate, names = exchange_token(
        cast.ca_org,
        common_name="Cổng chữ ký số chuyên dùng công vụ",
        kind=SubjectKind.DEVICE_SERVICE,
    )
    settings.PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL = names["EDXML_SIGNING_TOKEN_SERIAL"]
    settings.PORTAL_SYSTEM_SIGNING_PIN = names["EDXML_SIGNING_PIN"]
    settings.PORTAL_SYSTEM_SIGNING_KEY_ID = names["EDXML_SIGNING_KEY_ID"]
    return certificate
