"""Mẫu 01's variant for remote signing (docs/remote-signing.md): a clerk picks it when making a
letter; its title says so, its table has no SIM PKI column and its rows may not ask for one;
processed by the CA, each row's holder gets a remote-signing credential whose key is born in
the CA's HSM."""

import pytest
from django.urls import reverse

from certificates.backends.remote_keys import remote_key_flags
from devices.choices import DeviceKind
from devices.models import RemoteCredential
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.documents import REMOTE_SUBJECT, SUBJECTS, letter_document
from requests_app.exceptions import RowInvalid
from requests_app.models import CertRequest
from requests_app.word import letter_pdf_preview
from tests.certificates.pdf_tools import poppler
from tests.helpers import sign_in
from tests.requests_app.letters import draft, letter_at, person_row

pytestmark = pytest.mark.django_db


def test_a_clerk_makes_a_remote_signing_letter_from_the_new_letter_page(client, cast):
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("requests_app:create")).content.decode()
    assert "Mẫu 01 – Cấp chứng thư cho cá nhân sử dụng ký số tập trung" in page
    assert "khóa bí mật nằm trong HSM của CA" in page

    response = client.post(
        reverse("requests_app:create"), {"form": "01-rssp", "agency": cast.agency_a.pk}
    )

    letter = CertRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:edit", args=[letter.pk])
    assert letter.form == FormKind.ISSUE_PERSON and letter.remote_signing
    assert letter.get_form_display() == (
        "Mẫu 01 – Cấp chứng thư cho cá nhân sử dụng ký số tập trung"
    )
    event = AuditEvent.objects.get(action="cert_request.create")
    assert event.after == {"form": "01", "remote_signing": True}


def test_the_plain_mau_01_stays_plain(client, cast):
    sign_in(client, cast.clerk_a)

    client.post(reverse("requests_app:create"), {"form": "01", "agency": cast.agency_a.pk})

    letter = CertRequest.objects.get()
    assert not letter.remote_signing
    assert letter.get_form_display() == "Mẫu 01 – Cấp chứng thư cho cá nhân"


def test_only_mau_01_has_a_remote_signing_variant(cast):
    with pytest.raises(DomainError) as refused:
        services.cert_request_create(
            agency=cast.agency_a, form=FormKind.ISSUE_ORGANIZATION, by=cast.clerk_a,
            remote_signing=True,
        )  # fmt: skip

    assert refused.value.code == "remote_signing"
    assert not CertRequest.objects.exists()


@pytest.mark.parametrize(
    ("remote", "sim", "refused"),
    [
        (True, {"sim_carrier": "viettel"}, True),
        (True, {"sim_keep_number": True}, True),
        (True, {}, False),
        (False, {"sim_carrier": "viettel"}, False),
    ],
)
def test_a_remote_signing_row_may_not_ask_for_a_sim(cast, remote, sim, refused):
    letter = draft(cast, rows=0, remote_signing=remote)
    message = "Văn bản đề nghị ký số tập trung không cấp SIM PKI: để trống nhà mạng và ô chuyển số."

    try:
        services.row_save(cert_request=letter, by=cast.clerk_a, data=person_row(**sim))
    except RowInvalid as error:
        assert refused and message in error.errors["sim_carrier"]
        assert not letter.rows.exists()
    else:
        assert not refused and letter.rows.count() == 1


def pdf_text(pdf: bytes, folder) -> str:
    path = folder / "letter.pdf"
    path.write_bytes(pdf)
    return " ".join(poppler("pdftotext", "-layout", path, "-").stdout.split())


def test_the_letter_is_titled_as_the_remote_signing_variant_without_a_sim_column(cast, tmp_path):
    remote = draft(cast, rows=1, remote_signing=True)
    plain = draft(cast, rows=1)

    remote_text = pdf_text(letter_pdf_preview(remote), tmp_path)
    plain_text = pdf_text(letter_pdf_preview(plain), tmp_path)

    assert letter_document(remote, number="1", issued_on=None)["header"]["subject"] == (
        REMOTE_SUBJECT
    )
    assert "cho cá nhân sử dụng giải pháp ký số tập trung" in remote_text
    assert "SIM PKI" not in remote_text
    assert "SIM PKI" in plain_text
    assert "giải pháp ký số tập trung" not in plain_text
    assert SUBJECTS[FormKind.ISSUE_PERSON] in plain_text


@pytest.mark.usefixtures("ca")
def test_processing_gives_each_holder_a_credential_whose_key_is_born_in_the_cas_hsm(cast):
    letter = letter_at(cast, Status.FORWARDED, rows=2, accepted=True, remote_signing=True)

    services.cert_request_process(cert_request=letter, by=cast.ca_operator)
    services.cert_request_run_processing(cert_request_id=letter.pk)

    rows = list(letter.rows.order_by("position"))
    assert [row.outcome for row in rows] == [Outcome.DONE, Outcome.DONE]
    for row in rows:
        device = row.result_device
        assert device.kind == DeviceKind.RSSP
        assert row.result_certificate.device_id == device.pk
        credential = RemoteCredential.objects.get(device=device)
        assert remote_key_flags(credential_id=credential.credential_id)["extractable"] is False


def test_the_letter_page_of_a_remote_signing_letter_asks_for_no_sim(client, cast):
    remote = draft(cast, rows=1, remote_signing=True)
    plain = draft(cast, rows=1)
    sign_in(client, cast.clerk_a)

    remote_page = client.get(reverse("requests_app:edit", args=[remote.pk])).content.decode()
    plain_page = client.get(reverse("requests_app:edit", args=[plain.pk])).content.decode()

    assert 'name="mobile"' in remote_page and 'data-column="mobile"' in remote_page
    assert "khóa bí mật nằm trong HSM của CA" in remote_page
    assert 'name="sim_carrier"' not in remote_page and 'name="sim_keep_number"' not in remote_page
    assert 'data-column="sim_carrier"' not in remote_page
    assert 'name="sim_carrier"' in plain_page and 'data-column="sim_carrier"' in plain_page
