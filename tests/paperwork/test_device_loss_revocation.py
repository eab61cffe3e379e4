"""A lost device's certificate (docs/domain.md §3.8): the Mẫu 09 leads to the Mẫu 05 revoking it
for "device lost" (RFC 5280 keyCompromise) without waiting on any other letter, whatever else is
open on the certificate is stopped with its reason, and until a CRL lists the revocation the
certificate is shown at risk and refused by the desk signing."""

import pytest
from cryptography import x509
from django.urls import reverse
from django.utils import timezone

from certificates import services as ca_services
from certificates.choices import CertStatus, RevocationReason
from certificates.desk.services import desk_signing_complete, desk_signing_prepare
from certificates.exceptions import CertificateError
from certificates.models import Certificate
from certificates.signing import Appearance, signature_position
from devices.choices import DeviceKind
from devices.services import device_register_stock
from paperwork import flows as device_flows
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.exceptions import RowInvalid
from requests_app.models import RequestRow
from tests import factories as f
from tests.api.calls import api_as
from tests.desk import answer
from tests.devices.helpers import hand_over, issue_on_token
from tests.helpers import sign_in
from tests.requests_app.letters import CONTACT, issue_signed
from tests.requests_app.signed_letters import issued_external, rendered

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]

AT_RISK = "có nguy cơ lộ khóa"


def on_token(cast, serial: str, person=None):
    """A certificate the simulated CA issued for `person` (agency A's subscriber by default)
    on the token `serial` of its stock, handed over to them. Returns (certificate, device)."""
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial=serial, by=cast.ca_operator)
    certificate, device = issue_on_token(cast, person)
    assert device.serial == serial
    hand_over(cast, device)
    device.refresh_from_db()
    return certificate, device


def report_loss(cast, device):
    return device_flows.device_loss_report(
        device=device,
        lost_on=timezone.localdate(),
        lost_place="Bến xe khách Lai Châu",
        circumstances="Bị mất cắp cùng túi xách.",
        held_place="",
        by=cast.clerk_a,
    )


def letter_with(cast, form, data):
    letter = services.cert_request_create(
        agency=cast.agency_a, form=form, by=cast.clerk_a, **CONTACT
    )
    services.row_save(cert_request=letter, by=cast.clerk_a, data=data)
    return letter


def renewal_of(cast, certificate):
    return letter_with(cast, FormKind.RENEW_CHANGE, {"certificate": certificate, "renew": True})


def at_risk(certificate) -> bool:
    return Certificate.objects.with_key_at_risk().get(pk=certificate.pk).key_at_risk


def test_a_loss_stops_a_pending_renewal_and_its_mau_05_revokes_for_key_compromise(cast):
    certificate, device = on_token(cast, "VT2611001")
    renewal = renewal_of(cast, certificate)
    services.cert_request_submit(cert_request=renewal, by=cast.clerk_a)
    assert not at_risk(certificate)

    outcome = report_loss(cast, device)

    # The Mẫu 05 is drafted at once, the renewal's row stopped with its reason.
    assert outcome.draft_error == ""
    letter = outcome.letter
    assert (letter.form, letter.status) == (FormKind.REVOKE, Status.DRAFT)
    row = letter.rows.get()
    assert (row.certificate, row.revoke_reason) == (certificate, RevocationReason.DEVICE_LOST)
    assert outcome.report.revocation_request_id == letter.pk
    stopped = renewal.rows.get()
    assert (stopped.outcome, stopped.is_open) == (Outcome.STOPPED, False)
    assert "VT2611001" in stopped.outcome_note and outcome.report.number in stopped.outcome_note
    assert "không thể tiếp tục" in stopped.outcome_note
    assert [r.pk for r in outcome.stopped] == [stopped.pk]
    audit = AuditEvent.objects.get(action="request_row.stop")
    assert (audit.object_id, audit.before["outcome"], audit.after["outcome"]) == (
        str(stopped.pk),
        Outcome.PENDING,
        Outcome.STOPPED,
    )
    # The renewal cannot go on: the head cannot issue it, and it says why.
    with pytest.raises(DomainError) as refused:
        services.cert_request_issue(cert_request=renewal, by=cast.head_a)
    assert "đã được báo mất" in str(refused.value.message)
    assert RequestRow.objects.get(pk=stopped.pk).outcome == Outcome.STOPPED

    # At risk from the loss until a CRL lists the revocation.
    assert at_risk(certificate)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    services.cert_request_forward(cert_request=letter, by=cast.officer_1)
    assert services.cert_request_accept_valid_rows(cert_request=letter, by=cast.ca_operator) == (
        1,
        0,
    )
    services.cert_request_process(cert_request=letter, by=cast.ca_operator)
    services.cert_request_run_processing(cert_request_id=letter.pk)
    certificate.refresh_from_db()
    assert certificate.status == CertStatus.REVOKED
    assert certificate.rfc5280_reason == "keyCompromise"
    assert at_risk(certificate)  # revoked, but no relying party can see it yet

    crl = ca_services.crl_publish()

    assert not at_risk(certificate)
    entry = x509.load_der_x509_crl(bytes(crl.der)).get_revoked_certificate_by_serial_number(
        int(certificate.serial, 16)
    )
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )


def test_a_loss_stops_a_mau_05_for_another_reason_and_keeps_one_for_key_compromise(cast):
    retiring, device = on_token(cast, "VT2611002")
    retired = letter_with(
        cast,
        FormKind.REVOKE,
        {"certificate": retiring, "revoke_reason": RevocationReason.RETIRED},
    )
    exposed, other = on_token(cast, "VT2611003", person=f.PersonFactory(organization=cast.agency_a))
    compromise = letter_with(
        cast,
        FormKind.REVOKE,
        {"certificate": exposed, "revoke_reason": RevocationReason.KEY_COMPROMISE},
    )

    first = report_loss(cast, device)
    second = report_loss(cast, other)

    # Retirement is not what the CA must publish for a key in other hands: stopped, redrafted.
    assert retired.rows.get().outcome == Outcome.STOPPED
    assert first.letter.pk != retired.pk
    assert first.letter.rows.get().revoke_reason == RevocationReason.DEVICE_LOST
    # A revocation already asked for key compromise goes on; the Mẫu 09 records it.
    kept = compromise.rows.get()
    assert (kept.outcome, kept.is_open) == (Outcome.PENDING, True)
    assert second.letter.pk == compromise.pk and second.stopped == ()
    assert second.report.revocation_request_id == compromise.pk


def test_a_letter_returned_after_a_loss_keeps_its_stopped_row_stopped(cast):
    certificate, device = on_token(cast, "VT2611004")
    renewal = renewal_of(cast, certificate)
    services.cert_request_submit(cert_request=renewal, by=cast.clerk_a)
    issue_signed(cast, renewal)
    assert renewal.status == Status.PROVINCE_REVIEW
    report_loss(cast, device)

    services.cert_request_return(cert_request=renewal, by=cast.officer_1, note="Xem lại")

    row = renewal.rows.get()
    assert (row.outcome, row.is_open) == (Outcome.STOPPED, False)
    assert RequestRow.objects.open().filter(certificate=certificate).count() == 1  # the Mẫu 05


def test_a_certificate_of_a_lost_device_can_only_be_revoked_for_a_key_at_risk(cast):
    certificate, device = on_token(cast, "VT2611005")
    report_loss(cast, device)
    RequestRow.objects.filter(certificate=certificate).update(is_open=False)  # set its Mẫu 05 aside

    for form, data in (
        (FormKind.RENEW_CHANGE, {"certificate": certificate, "renew": True}),
        (FormKind.REVOKE, {"certificate": certificate, "revoke_reason": RevocationReason.RETIRED}),
    ):
        with pytest.raises(RowInvalid) as refused:
            letter_with(cast, form, data)
        assert "đã được báo mất" in " ".join(refused.value.errors["certificate"])
    letter = letter_with(
        cast,
        FormKind.REVOKE,
        {"certificate": certificate, "revoke_reason": RevocationReason.DEVICE_LOST},
    )
    assert letter.rows.count() == 1


def test_only_a_lost_devices_certificate_is_at_risk_and_only_until_a_crl_lists_it(cast):
    lost, device = on_token(cast, "VT2611006")
    kept, _ = on_token(cast, "VT2611007", person=f.PersonFactory(organization=cast.agency_a))
    published, old_device = on_token(
        cast, "VT2611008", person=f.PersonFactory(organization=cast.agency_a)
    )
    ca_services.certificate_revoke(
        certificate=published, by=cast.ca_operator, reason=RevocationReason.RETIRED
    )
    ca_services.crl_publish()
    report_loss(cast, device)
    report_loss(cast, old_device)  # lost after its certificate's revocation was published

    assert (at_risk(lost), at_risk(kept), at_risk(published)) == (True, False, False)


def test_every_page_and_the_api_show_the_lost_devices_certificate_at_risk(cast, client):
    lost, device = on_token(cast, "VT2611009")
    kept, _ = on_token(cast, "VT2611010", person=f.PersonFactory(organization=cast.agency_a))
    renewal = renewal_of(cast, lost)
    other = renewal_of(cast, kept)
    outcome = report_loss(cast, device)
    sign_in(client, cast.clerk_a)

    listing = client.get(reverse("certificates:list")).content.decode()
    detail = client.get(reverse("certificates:detail", args=[lost.serial])).content.decode()
    kept_detail = client.get(reverse("certificates:detail", args=[kept.serial])).content.decode()
    device_page = client.get(reverse("devices:detail", args=[device.pk])).content.decode()
    letter_page = client.get(reverse("requests_app:detail", args=[outcome.letter.pk]))
    stopped_page = client.get(reverse("requests_app:detail", args=[renewal.pk])).content.decode()
    other_page = client.get(reverse("requests_app:detail", args=[other.pk])).content.decode()
    api = api_as(cast.clerk_a).get("/api/v1/chung-thu/").json()

    assert listing.count(AT_RISK) == 1
    row = listing[listing.index(lost.serial) :]
    assert AT_RISK in row[: row.index("</tr>")]
    assert AT_RISK in detail and "nguy-co-lo-khoa" in detail
    assert AT_RISK not in kept_detail
    assert AT_RISK in device_page
    assert AT_RISK in letter_page.content.decode()
    assert AT_RISK in stopped_page and "Đã dừng" in stopped_page
    assert AT_RISK not in other_page
    flags = {item["serial"]: item["key_at_risk"] for item in api["results"]}
    assert (flags[lost.serial], flags[kept.serial]) == (True, False)


@pytest.fixture
def head_on_token(cast):
    """Agency A's head with a personal certificate on a token handed to them."""
    head = f.PersonFactory(
        organization=cast.agency_a, user=cast.head_a, full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
    )  # fmt: skip
    return on_token(cast, "VT2611011", person=head)


def prepare(cast, certificate):
    letter = issued_external(cast)
    pdf = rendered(letter)
    return desk_signing_prepare(
        pdf=pdf, certificate=certificate, field_name="ChuKyLanhDao",
        appearance=Appearance.signature(
            signature_position(pdf), signer_name="Trần Thị Ánh Dương", title="", agency=""
        ),
        reason="", by=cast.head_a, document_number="1", title="", purpose=f"test:{letter.pk}",
    )  # fmt: skip


def test_the_desk_refuses_to_sign_with_a_lost_devices_certificate(cast, head_on_token):
    certificate, device = head_on_token
    before = prepare(cast, certificate)  # a device not lost signs
    values = answer(before, cast.head_a, certificate=certificate)

    report_loss(cast, device)

    with pytest.raises(CertificateError) as refused:
        desk_signing_complete(answer=values, by=cast.head_a)
    assert refused.value.code == "not_usable"
    assert "đã được báo mất" in str(refused.value.message)
    with pytest.raises(CertificateError) as refused_again:
        prepare(cast, certificate)
    assert "đã được báo mất" in str(refused_again.value.message)
    audit = AuditEvent.objects.get(action="desk_signing.refuse")
    assert "báo mất" in audit.reason
