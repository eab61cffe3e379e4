"""A revocation asked for by a competent authority or decided by the CA itself (Decree 68
Art. 18, docs/domain.md §5.5): registered by a CA operator with the requesting letter, carried
out by the same revoke service as a Mẫu 05 row, seen by OCSP, told to the agency and holder."""

from datetime import date

import pytest
from cryptography.x509 import ocsp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.choices import Role
from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.services import approval_approve, approval_reject, approval_run
from certificates.choices import CertStatus, RevocationReason, RevocationRequester, SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent, RegisteredRevocation
from certificates.services import certificate_revocation_register
from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from tests import factories as f
from tests.certificates.ocsp_requests import post, request_for
from tests.certificates.pdf_tools import minimal_pdf
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _letter(content: bytes | None = None, name: str = "cong-van-12.pdf"):
    content = minimal_pdf("Cong van so 12/CSKT") if content is None else content
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _form(**overrides) -> dict:
    return {
        "requester": RevocationRequester.AUTHORITY,
        "authority_name": "Công an tỉnh Lai Châu",
        "letter_number": "12/CSKT",
        "letter_date": "20/11/2026",
        "reason": RevocationReason.AUTHORITY_REQUEST,
        "letter": _letter(),
        **overrides,
    }


def _url(certificate) -> str:
    return reverse("certificates:revocation_register", args=[certificate.serial])


def test_a_ca_operator_revokes_on_an_authoritys_letter_through_the_revoke_service(
    issue, cast, client
):
    certificate = issue()
    sign_in(client, cast.ca_operator)

    response = client.post(_url(certificate), _form())

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == CertStatus.REVOKED
    assert certificate.revocation_reason == RevocationReason.AUTHORITY_REQUEST
    registered = RegisteredRevocation.objects.get()
    assert list(registered.certificates.all()) == [certificate]
    assert (registered.authority_name, registered.letter_number) == (
        "Công an tỉnh Lai Châu",
        "12/CSKT",
    )
    assert bytes(registered.letter_pdf).startswith(b"%PDF-")
    event = CertificateEvent.objects.get(certificate=certificate, kind="revoked")
    assert "Công an tỉnh Lai Châu" in event.note and event.actor == cast.ca_operator
    audit = AuditEvent.objects.get(action="certificate.revocation_register")
    assert "12/CSKT" in audit.reason
    assert AuditEvent.objects.filter(action="certificate.revoke").exists()
    # its page names the reason in words beside RFC 5280's name for it
    page = client.get(reverse("certificates:detail", args=[certificate.serial])).content.decode()
    assert (
        "Theo văn bản yêu cầu của cơ quan tiến hành tố tụng, cơ quan công an"
        ' <span class="muted small">(RFC 5280: ' in page
    )


def test_ocsp_answers_revoked_for_a_certificate_revoked_on_request(issue, cast, client):
    certificate = issue()
    sign_in(client, cast.ca_operator)
    client.post(_url(certificate), _form())
    certificate.refresh_from_db()

    answer = post(client, request_for(certificate))

    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED


def test_the_agency_clerk_and_the_holder_are_told_of_the_revocation(issue, cast, client):
    certificate = issue()
    sign_in(client, cast.ca_operator)

    client.post(_url(certificate), _form())

    for user in (cast.clerk_a, cast.subscriber.user):
        note = Notification.objects.get(user=user, message__contains=certificate.serial)
        assert "Công an tỉnh Lai Châu" in note.message
    assert not Notification.objects.filter(user=cast.clerk_b, message__contains=certificate.serial)


def test_the_ca_itself_may_ask_without_naming_an_authority(issue, cast, client):
    certificate = issue()
    sign_in(client, cast.ca_operator)

    response = client.post(
        _url(certificate),
        _form(
            requester=RevocationRequester.CA,
            authority_name="",
            reason=RevocationReason.KEY_COMPROMISE,
        ),
    )

    assert response.status_code == 302
    assert RegisteredRevocation.objects.get().requester == RevocationRequester.CA
    assert Certificate.objects.get(pk=certificate.pk).status == CertStatus.REVOKED


def test_other_certificates_of_the_same_letter_are_revoked_together(issue, cast, client):
    first, second = issue(), issue()
    sign_in(client, cast.ca_operator)

    client.post(_url(first), _form(other_serials=second.serial.lower()))

    assert set(RegisteredRevocation.objects.get().certificates.all()) == {first, second}
    assert Certificate.objects.get(pk=second.pk).status == CertStatus.REVOKED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"authority_name": ""}, "Hãy ghi tên cơ quan có thẩm quyền yêu cầu thu hồi."),
        ({"letter": "not-a-file"}, ""),
        ({"letter_date": "31/12/2099"}, "Ngày văn bản không thể sau hôm nay."),
        ({"other_serials": "DEADBEEF"}, "Không tìm thấy chứng thư: DEADBEEF."),
    ],
)
def test_a_refused_registration_changes_nothing(issue, cast, client, overrides, message):
    certificate = issue()
    sign_in(client, cast.ca_operator)

    response = client.post(_url(certificate), _form(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RegisteredRevocation.objects.exists()
    assert Certificate.objects.get(pk=certificate.pk).status == CertStatus.VALID


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_changes(issue, cast, client):
    certificate = issue()
    sign_in(client, cast.ca_operator)

    response = client.post(_url(certificate), _form(letter=_letter(b"MZ\x90\x00 not a pdf")))

    assert response.status_code == 400
    assert "Tệp tải lên không phải là tệp PDF." in response.content.decode()
    assert not RegisteredRevocation.objects.exists()
    assert Certificate.objects.get(pk=certificate.pk).status == CertStatus.VALID


@pytest.mark.parametrize(
    ("persona", "status"),
    [("clerk_a", 403), ("head_a", 403), ("officer_1", 403), ("clerk_b", 404), ("officer_2", 404)],
)
def test_only_ca_operators_may_register_a_revocation(issue, cast, client, persona, status):
    certificate = issue()
    sign_in(client, getattr(cast, persona))

    assert client.get(_url(certificate)).status_code == status
    assert client.post(_url(certificate), _form()).status_code == status
    assert Certificate.objects.get(pk=certificate.pk).status == CertStatus.VALID


def test_the_certificate_page_links_the_registration_for_ca_operators_only(issue, cast, client):
    certificate = issue()
    detail = reverse("certificates:detail", args=[certificate.serial])

    sign_in(client, cast.ca_operator)
    assert _url(certificate) in client.get(detail).content.decode()
    sign_in(client, cast.clerk_a)
    assert _url(certificate) not in client.get(detail).content.decode()


def _register(certificate, *, by, requester=RevocationRequester.CA, authority_name=""):
    return certificate_revocation_register(
        certificates=[certificate],
        requester=requester,
        authority_name=authority_name,
        letter_number="1/QĐ",
        letter_date=date(2026, 11, 20),
        reason=RevocationReason.KEY_COMPROMISE,
        letter=minimal_pdf(),
        by=by,
    )


def test_the_service_refuses_anyone_but_a_ca_operator(issue, cast):
    certificate = issue()
    with pytest.raises(CertificateError) as refused:
        _register(certificate, by=cast.clerk_a)
    assert refused.value.code == "forbidden"
    assert Certificate.objects.get(pk=certificate.pk).status == CertStatus.VALID


@pytest.mark.parametrize("name", ["", "   "])
def test_the_service_refuses_an_authoritys_request_that_does_not_name_it(issue, cast, name):
    certificate = issue()
    with pytest.raises(CertificateError) as refused:
        _register(
            certificate,
            by=cast.ca_operator,
            requester=RevocationRequester.AUTHORITY,
            authority_name=name,
        )
    assert refused.value.code == "authority_name"
    assert not RegisteredRevocation.objects.exists()
    assert Certificate.objects.get(pk=certificate.pk).status == CertStatus.VALID


def test_the_service_registers_an_authoritys_request_that_names_it(issue, cast):
    certificate = issue()
    registered = _register(
        certificate,
        by=cast.ca_operator,
        requester=RevocationRequester.AUTHORITY,
        authority_name=" Công an tỉnh Lai Châu ",
    )
    assert registered.authority_name == "Công an tỉnh Lai Châu"


def test_the_requesting_letter_is_downloadable_by_ca_operators_only(issue, cast, client):
    certificate = issue()
    sign_in(client, cast.ca_operator)
    client.post(_url(certificate), _form())
    url = reverse("certificates:revocation_letter", args=[RegisteredRevocation.objects.get().pk])

    assert (
        url
        in client.get(reverse("certificates:detail", args=[certificate.serial])).content.decode()
    )
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    sign_in(client, cast.clerk_a)
    assert client.get(url).status_code == 404


# --- four eyes (docs/approvals.md) -------------------------------------------------------------


def _second_operator(cast):

    user = f.UserFactory(username="cts.thu.hai", email="cts.hai@mic.gov.vn")
    f.MembershipFactory(user=user, role=Role.CA_OPERATOR, organization=f.CAOrgFactory())
    return user


def test_an_organisations_certificate_waits_for_a_second_ca_operator(issue, cast, client):

    seal = issue(subject_kind=SubjectKind.ORGANIZATION)
    sign_in(client, cast.ca_operator)
    response = client.post(_url(seal), _form(), follow=True)
    assert "Đã lập đề nghị phê duyệt" in response.content.decode()
    seal.refresh_from_db()
    assert seal.status == CertStatus.VALID  # nothing revoked yet
    registered = RegisteredRevocation.objects.get()
    approval = registered.approval
    assert registered.revoked_at is None
    assert approval.action == ApprovalAction.REVOKE_ORGANIZATION
    assert list(registered.certificates.all()) == [seal]

    with pytest.raises(DomainError):
        approval_approve(approval=approval, by=cast.ca_operator)  # not the requester
    approval_approve(approval=approval, by=_second_operator(cast))
    approval_run(approval_id=approval.pk)
    approval_run(approval_id=approval.pk)  # a second delivery revokes nothing more

    seal.refresh_from_db()
    approval.refresh_from_db()
    assert (seal.status, approval.status) == (CertStatus.REVOKED, ApprovalStatus.DONE)
    event = CertificateEvent.objects.get(certificate=seal, kind="revoked")
    assert event.actor == cast.ca_operator  # run as the requester
    audit = AuditEvent.objects.filter(action="certificate.revocation_register").last()
    assert audit.after["approved_by"] == "cts.thu.hai"
    assert CertificateEvent.objects.filter(certificate=seal, kind="revoked").count() == 1


def test_a_rejected_registration_revokes_nothing(issue, cast, client):

    seal = issue(subject_kind=SubjectKind.ORGANIZATION)
    sign_in(client, cast.ca_operator)
    client.post(_url(seal), _form())
    approval = RegisteredRevocation.objects.get().approval
    approval_reject(approval=approval, by=_second_operator(cast), reason="Văn bản chưa hợp lệ")
    approval_run(approval_id=approval.pk)
    seal.refresh_from_db()
    assert seal.status == CertStatus.VALID
    assert RegisteredRevocation.objects.get().revoked_at is None


def test_a_persons_certificate_is_revoked_at_once_by_one_operator(issue, cast, client):
    certificate = issue()
    sign_in(client, cast.ca_operator)
    client.post(_url(certificate), _form())
    registered = RegisteredRevocation.objects.get()
    assert registered.approval is None and registered.revoked_at is not None
