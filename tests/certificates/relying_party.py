"""What a relying party does with the CA's artefacts: download them and ask `openssl`."""

import subprocess
from pathlib import Path

from django.urls import reverse


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
