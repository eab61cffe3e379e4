"""The domain error of the certificates app: its message is shown to the user as is."""

from portal.errors import DomainError


class CertificateError(DomainError):
    """An operation the rules (Decree 68, docs/domain.md §5) or the CA's state refuse.

    A `DomainError`, so views that catch the portal's refusals catch it too; `code` is stable
    for callers and tests, the message Vietnamese, for the user.
    """
