"""Mẫu 04 and Mẫu 05 for a certificate whose key is in the CA's HSM (docs/remote-signing.md,
"Keys in the CA's HSM"), each through its letter as agencies send it: a renewal certifies the
same key again and the holder signs on with it; a revocation destroys the key, and nothing
signs with the credential any more."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from certificates.backends import remote_keys
from certificates.choices import CertStatus
from certificates.models import Certificate
from devices.choices import CredentialState
from devices.models import RemoteCredential
from remote_signing.rules import RemoteSigningRefused
from requests_app import services as letters
from requests_app.choices import FormKind, Outcome, Status
from tests.remote_signing.world import digest_of, openssl_verifies
from tests.requests_app.letters import CONTACT, issue_signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]


def _letter(cast, form, data):
    """Agency A's letter of `form` with one row, issued and signed by its head."""
    letter = letters.cert_request_create(
        agency=cast.agency_a, form=form, by=cast.clerk_a, **CONTACT
    )
    letters.row_save(cert_request=letter, by=cast.clerk_a, data=data)
    letters.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    return issue_signed(cast, letter)


def _public(certificate) -> bytes:
    return (
        x509.load_der_x509_certificate(bytes(certificate.der))
        .public_key()
        .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )


def _processed(letter, by):
    letters.cert_request_accept_valid_rows(cert_request=letter, by=by)
    letters.cert_request_process(cert_request=letter, by=by)
    letters.cert_request_run_processing(cert_request_id=letter.pk)
    letter.refresh_from_db()
    return letter


def test_a_mau_04_renewal_certifies_the_same_hsm_key_and_the_holder_signs_on(
    cast, holder, tmp_path
):
    old = Certificate.objects.get(device_id=holder.credential.device_id)

    letter = _processed(
        _letter(cast, FormKind.RENEW_CHANGE, {"certificate": old, "renew": True}), cast.officer_1
    )

    row = letter.rows.get()
    assert (letter.status, row.outcome) == (Status.DONE, Outcome.DONE)
    renewed = row.result_certificate
    assert renewed.pk != old.pk and renewed.device_id == old.device_id
    assert _public(renewed) == _public(old)  # the same key
    assert renewed.status == CertStatus.VALID
    digest = digest_of("Sau gia hạn")
    (signature,) = holder.sign(holder.authorize([digest]), [digest])
    assert openssl_verifies(_public(renewed), digest, signature, tmp_path)


def test_a_mau_05_revocation_destroys_the_hsm_key_and_nothing_signs_with_it(
    cast, holder, django_capture_on_commit_callbacks
):
    certificate = Certificate.objects.get(device_id=holder.credential.device_id)
    letter = _letter(
        cast, FormKind.REVOKE, {"certificate": certificate, "revoke_reason": "retired"}
    )
    letters.cert_request_forward(cert_request=letter, by=cast.officer_1)

    with django_capture_on_commit_callbacks(execute=True):  # the key goes once committed
        letter = _processed(letter, cast.ca_operator)

    assert letter.rows.get().outcome == Outcome.DONE
    certificate.refresh_from_db()
    assert certificate.status == CertStatus.REVOKED
    credential = RemoteCredential.objects.get(pk=holder.credential.pk)
    assert credential.state == CredentialState.DESTROYED
    assert remote_keys.remote_key_flags(credential_id=credential.credential_id) is None
    with pytest.raises(RemoteSigningRefused) as refused:
        holder.authorize([digest_of("Sau thu hồi")])
    assert refused.value.code == "revoked"
