"""Fixtures of the CA tests: a freshly initialised simulated CA and the `openssl` command line."""

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from certificates import services
from certificates.choices import SubjectKind
from certificates.models import CertificateAuthority


@pytest.fixture(autouse=True)
def _ca_settings(settings):
    settings.SITE_URL = "https://cong-cks.thu-nghiem.gov.vn"


@pytest.fixture
def ca(db):
    """Root and issuing CA, created by the key ceremony; their first CRLs are published."""
    services.ca_initialize()
    return SimpleNamespace(
        root=CertificateAuthority.objects.public().get(kind="root", is_active=True),
        issuing=CertificateAuthority.objects.public().get(kind="issuing", is_active=True),
    )


@pytest.fixture
def issue(ca, cast):
    """Issue a certificate for agency A's subscriber (or anything else, by keyword)."""

    def _issue(**kwargs):
        kwargs.setdefault("subject_kind", SubjectKind.PERSON)
        kwargs.setdefault("agency", cast.agency_a)
        if kwargs["subject_kind"] == SubjectKind.PERSON:
            kwargs.setdefault("person", cast.subscriber)
        kwargs.setdefault("by", cast.ca_operator)
        return services.certificate_issue(**kwargs)

    return _issue


def openssl(*args, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["openssl", *map(str, args)], input=input, capture_output=True, timeout=60, check=False
    )


class Files:
    """Writes what a relying party would download into a temporary directory."""

    def __init__(self, directory: Path, client):
        self.directory = directory
        self.client = client

    def write(self, name: str, content: bytes | str) -> Path:
        path = self.directory / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    def fetch(self, name: str, url: str) -> Path:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return self.write(name, response.content)

    def chain(self) -> Path:
        return self.fetch("chain.pem", reverse("certificates:chain"))

    def split_chain(self) -> tuple[Path, Path]:
        """(the root alone: the trust anchor, the issuing CAs: untrusted intermediates)."""
        pems = self.chain().read_text().split("-----END CERTIFICATE-----\n")
        pems = [p + "-----END CERTIFICATE-----\n" for p in pems if p.strip()]
        return self.write("root.pem", pems[-1]), self.write("issuing.pem", "".join(pems[:-1]))

    def crls(self, ca) -> Path:
        """The issuing CA's CRL (from /ca/crl.pem) followed by the root's, in one PEM file."""
        issuing = self.client.get(reverse("certificates:crl_pem")).content
        root = self.client.get(reverse("certificates:authority_crl_pem", args=[ca.root.pk])).content
        return self.write("crls.pem", issuing + root)

    def certificate(self, certificate) -> Path:
        return self.fetch(
            f"{certificate.serial}.pem", reverse("certificates:pem", args=[certificate.serial])
        )


@pytest.fixture
def files(tmp_path, client, cast):
    client.force_login(cast.ca_operator)
    return Files(tmp_path, client)


def verify(files: Files, ca, certificate) -> subprocess.CompletedProcess:
    """`openssl verify -crl_check_all` of a registry certificate against the published CRLs."""
    root, intermediates = files.split_chain()
    return openssl(
        "verify",
        "-crl_check_all",
        "-CAfile",
        root,
        "-untrusted",
        intermediates,
        "-CRLfile",
        files.crls(ca),
        files.certificate(certificate),
    )
