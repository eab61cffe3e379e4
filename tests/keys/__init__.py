"""Pre-generated RSA-2048 subscriber keys, for tests only (README, "The two commands").

The simulated CA makes an official's key pair when it issues a certificate and its key pool is
empty (certificates/backends/simulated.py), as it always is in a test's database. Generating
an RSA-2048 key costs about 75 ms of CPU, and the suite issues thousands of certificates: about
a tenth of its time went there. Here the simulated CA's `new_private_key` draws the RSA-2048
keys instead from `rsa2048.pem`, a committed file of keys made once with
`python -m tests.keys` and never used outside the tests.

Each test starts again at the file's first key (`restart`, an autouse fixture) and skips any
key the database already holds (a key pair of a module's world built once, `tests/cast.py`,
or of the test itself), so no key is held twice; a test that needs more keys than the file
holds gets real new ones past its end. Other algorithms, the CA's own keys and processes the
tests start (workers, servers) generate keys as production does.
"""

import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from certificates.backends.x509build import key_id
from certificates.choices import KeyAlgorithm
from certificates.models import DeviceKey

FILE = Path(__file__).with_name("rsa2048.pem")
COUNT = 256
_END = b"-----END PRIVATE KEY-----\n"


class FixedKeys:
    """`new_private_key` of the simulated CA, its RSA-2048 keys taken from FILE in order."""

    def __init__(self, generate):
        self.generate = generate
        self.pems = [block + _END for block in FILE.read_bytes().split(_END) if block.strip()]
        self.loaded: dict[int, tuple[object, str]] = {}
        self.next = 0

    def restart(self) -> None:
        self.next = 0

    def __call__(self, algorithm: str):
        if algorithm != KeyAlgorithm.RSA2048:
            return self.generate(algorithm)
        while self.next < len(self.pems):
            key, identifier = self.key(self.next)
            self.next += 1
            if not DeviceKey.objects.filter(key_id=identifier).exists():
                return key
        return self.generate(algorithm)

    def key(self, index: int) -> tuple[object, str]:
        """The file's key at `index` and its key id, loaded once per process."""
        if index not in self.loaded:
            key = serialization.load_pem_private_key(
                self.pems[index], password=None, unsafe_skip_rsa_key_validation=True
            )
            self.loaded[index] = (key, key_id(key.public_key()))
        return self.loaded[index]


def write(count: int = COUNT) -> None:
    """Make the file anew (a one-off: the keys are committed)."""
    blocks = [
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        for _ in range(count)
    ]
    FILE.write_bytes(b"".join(blocks))


if __name__ == "__main__":
    write(int(sys.argv[1]) if len(sys.argv) > 1 else COUNT)
