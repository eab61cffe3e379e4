"""The signer interface: what the portal needs to put a PAdES signature on a PDF.

`SimulatedSigner` (certificates/signing/simulated.py) signs with the key of a simulated
device; a deployment whose keys live on real tokens or in a signing service points
`SIGNER_BACKEND` at its own `Signer` (docs/ca.md, "Signing and verification").
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

    from certificates.models import Certificate

SIGNATURE = "signature"
SEAL = "seal"


@dataclass(frozen=True)
class Position:
    """Where a visible signature goes: a page (0-based, -1 = the last) and a box in PDF points
    (x1, y1, x2, y2; origin at the bottom left of the page)."""

    page: int
    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def left_third(self) -> Position:
        """The seal's place: a square over about the left third of this box, centred on its
        height (docs/domain.md §9)."""
        x1, y1, _x2, _y2 = self.box
        side = min(self.width / 3, self.height)
        bottom = y1 + (self.height - side) / 2
        return Position(page=self.page, box=(x1, bottom, x1 + side, bottom + side))


@dataclass(frozen=True)
class Appearance:
    """The visible part of a signature (docs/domain.md §9).

    A `SIGNATURE` box shows the signer's name, title, agency and the signing time; a `SEAL` is
    the agency's red stamp with its name. The signer adds the time when it signs.
    """

    position: Position
    kind: str = SIGNATURE
    signer_name: str = ""
    title: str = ""
    agency: str = ""

    @classmethod
    def signature(
        cls, position: Position, *, signer_name: str, title: str, agency: str
    ) -> Appearance:
        return cls(
            position=position, kind=SIGNATURE, signer_name=signer_name, title=title, agency=agency
        )

    @classmethod
    def seal(cls, signature_position: Position, *, agency: str) -> Appearance:
        """The agency's seal over the left third of the head's signature box."""
        return cls(position=signature_position.left_third(), kind=SEAL, agency=agency)


class Signer(abc.ABC):
    """Adds one PAdES baseline B-B signature to a PDF, as an incremental update."""

    @abc.abstractmethod
    def sign(
        self,
        pdf: bytes,
        *,
        certificate: Certificate,
        field_name: str,
        appearance: Appearance,
        reason: str = "",
        location: str = "",
        by: User | None = None,
    ) -> bytes:
        """The PDF with a new signature field `field_name` signed with `certificate`'s key.

        `by` is the user on whose behalf the key is used (audited). Raises `CertificateError`
        (Vietnamese message) when the certificate cannot sign or the PDF cannot be read.
        """


@cache
def _signer(path: str) -> Signer:
    signer_class = import_string(path)
    if not issubclass(signer_class, Signer):
        raise TypeError(f"SIGNER_BACKEND {path!r} is not a Signer")
    return signer_class()


def get_signer() -> Signer:
    """The signer named by settings.SIGNER_BACKEND (default: the simulated signer)."""
    return _signer(settings.SIGNER_BACKEND)


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting == "SIGNER_BACKEND":
        _signer.cache_clear()
