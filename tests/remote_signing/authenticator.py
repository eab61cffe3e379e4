"""A holder's authenticator app (TOTP), without Django: the tests' holders and the bench's
client applications type its codes."""

import base64

from django_otp.oath import TOTP


class Authenticator:
    """The holder's authenticator app, bound at activation to `secret` (base32)."""

    def __init__(self, secret: str):
        self.totp = TOTP(base64.b32decode(secret))
        self.step_used = -1

    def code(self) -> str:
        """The app's code now, or the next step's once this one is used (a code is good once)."""
        self.totp.time = None
        if self.totp.t() <= self.step_used:
            self.totp.time = (self.step_used + 1) * 30
        self.step_used = self.totp.t()
        return f"{self.totp.token():06d}"
