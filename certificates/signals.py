"""Hook points for the apps above and beside the registry.

Sent inside the service's transaction, so a receiver's writes commit or roll back with the
change. The device-return obligation (Mẫu 08, docs/domain.md §4) is not one of them: revocation and
expiry call `devices.services.device_return_obligation_open` directly (certificates sits above
devices, docs/architecture.md §1). A supersession (renewal, change of information) keeps the device
with its holder and is signalled apart. Expiry sends nothing: it is a set-based sweep
(docs/scale.md §12.4) and had no receiver; an app that needs to know reads the
certificates' status or their `expired` history rows.
"""

from django.dispatch import Signal

# sender=Certificate; kwargs: certificate, reason (RevocationReason), by (user or None). Sent for
# each certificate a revocation revoked, after the batch's writes (`certificate_revoke_many`);
# the portal has no receiver: one that writes per certificate would undo the batch's fixed cost.
certificate_revoked = Signal()
# sender=Certificate; kwargs: certificate (the old one), successor, by
certificate_superseded = Signal()
