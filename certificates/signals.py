"""Hook points for the apps above and beside the registry.

Sent inside the service's transaction, so a receiver's writes commit or roll back with the
change. The devices app will connect `certificate_revoked` and `certificate_expired` to open
the device-return obligation (Mẫu 08, DOMAIN §4); a supersession (renewal, change of
information) keeps the device with its holder and is signalled apart.
"""

from django.dispatch import Signal

# sender=Certificate; kwargs: certificate, reason (RevocationReason), by (user or None)
certificate_revoked = Signal()
# sender=Certificate; kwargs: certificate
certificate_expired = Signal()
# sender=Certificate; kwargs: certificate (the old one), successor, by
certificate_superseded = Signal()
