"""Hook points for the apps above and beside the registry.

Sent inside the service's transaction, so a receiver's writes commit or roll back with the
change. The device-return obligation (Mẫu 08, docs/domain.md §4) is not one of them: revocation and
expiry call `devices.services.device_return_obligation_open` directly (certificates sits above
devices, docs/architecture.md §1). A supersession (renewal, change of information) keeps the device
with its holder and is signalled apart.
"""

from django.dispatch import Signal

# sender=Certificate; kwargs: certificate, reason (RevocationReason), by (user or None)
certificate_revoked = Signal()
# sender=Certificate; kwargs: certificate
certificate_expired = Signal()
# sender=Certificate; kwargs: certificate (the old one), successor, by
certificate_superseded = Signal()
