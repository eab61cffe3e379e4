"""Pre-generated RSA-2048 subscriber keys, for tests only (README, "The two commands").

The simulated CA makes an official's key pair when it issues a certificate and its key pool is
empty (certificates/backends/simulated.py), as it always is in a test's database. Generating
an RSA-2048 key costs about 75 ms of CPU, and the suite issues thousands of certificates: about
a tenth of its time went there. Here the simulated CA's `new_private_key` draws the RSA-2048
keys instead from `rsa2048.pem`, a committed file of keys made once with
`python -m tests.keys` and never used outside the tests.

Each test starts again at the file's first key (`restart`), so the keys of one test all
differ; keys drawn outside a test, by a module's world built once (`tests/cast.py`), are kept
for that module and skipped by its tests until it ends (`release`: the key id is unique in
the database). A test that needs more keys than the file holds gets real new ones past its end.
Other algorithms, the CA's own keys and processes the tests start (workers, servers) generate
keys as production does.
"""

import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from certificates.backends.x509build import new_private_key
from certificates.choices import KeyAlgorithm

FILE = Path(__file__).with_name("rsa2048.pem")
COUNT = 256
_END = b"-----END PRIVATE KEY-----\n"


class FixedKeys:
    """`new_private_key` of the simulated CA, its RSA-2048 keys taken from FILE in order."""

    def __init__(self, generate):
        self.generate = generate
        self.pems = [block + _END for block in FILE.read_bytes().split(_END) if block.strip()]
        self.loaded: dict[int, object] = {}
        self.next = 0
        self.in_test = False
        self.reserved: set[int] = set()

    def restart(self) -> None:
        """A test begins: its keys from the first."""
        self.next, self.in_test = 0, True

    def test_ended(self) -> None:
        self.in_test = False

    def release(self) -> None:
        """A module ends: the keys its world held are free again."""
        self.reserved.clear()

    def __call__(self, algorithm: str):
        if algorithm != KeyAlgorithm.RSA2048:
            return self.generate(algorithm)
        while self.next < len(self.pems):
            index = self.next
            self.next += 1
            if index in self.reserved:
                continue
            if not self.in_test:
                self.reserved.add(index)
            return self.key(index)
        return self.generate(algorithm)

    def key(self, index: int):
        """The file's key at `index`, loaded once per process."""
        if index not in self.loaded:
            self.loaded[index] = serialization.load_pem_private_key(
                self.pems[index], password=None, unsafe_skip_rsa_key_validation=True
            )
        return self.loaded[index]


def write(count: int = COUNT) -> None:
    """Make the file anew (a one-off: the keys are committed)."""
    blocks = [
        new_private_key(KeyAlgorithm.RSA2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        for _ in range(count)
    ]
    FILE.write_bytes(b"".join(blocks))


if __name__ == "__main__":
    write(int(sys.argv[1]) if len(sys.argv) > 1 else COUNT)
