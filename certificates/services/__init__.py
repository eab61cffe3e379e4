"""Writes of the certificates app: every certificate operation of the portal goes through here.

Keyword-only, typed, `<entity>_<verb>`; each refuses what the rules forbid with a
`CertificateError` (Vietnamese message), writes the certificate's history and an audit event,
and leaves X.509 to the CA backend (settings.CA_BACKEND). Rules: docs/domain.md §5, Decree 68.
"""

from certificates.services.archive import document_archive_extend
from certificates.services.authority import (
    ca_initialize,
    certificate_signing_material,
    device_key_generate,
    device_key_pool_fill,
)
from certificates.services.changes import certificate_change_info, certificate_renew
from certificates.services.issuance import (
    IssueOrder,
    certificate_issue,
    certificate_issue_batch,
    certificate_issue_check,
)
from certificates.services.monitoring import (
    signing_event_record,
    signing_events_record_bulk,
    signing_events_record_pair,
    signing_events_record_reports,
)
from certificates.services.publication import (
    ca_chain_pem,
    crl_current,
    crl_publish,
    crl_publish_queue,
    crl_refresh_due,
    ocsp_respond,
)
from certificates.services.registered import (
    certificate_revocation_carry_out,
    certificate_revocation_register,
    revocation_approval_action,
    revocation_refuse_held,
    revocation_rule_agency,
)
from certificates.services.remote_sweep import remote_keys_sweep
from certificates.services.revocation import (
    RevocationOutcome,
    certificate_expire_due,
    certificate_revoke,
    certificate_revoke_batch,
    certificate_revoke_many,
)
from certificates.services.timestamps import (
    TimestampReply,
    timestamp_refuse,
    timestamp_respond,
    timestamp_token,
    timestamp_unit_ensure,
)

__all__ = [
    "IssueOrder",
    "RevocationOutcome",
    "TimestampReply",
    "ca_chain_pem",
    "ca_initialize",
    "certificate_change_info",
    "certificate_expire_due",
    "certificate_issue",
    "certificate_issue_batch",
    "certificate_issue_check",
    "certificate_renew",
    "certificate_revoke",
    "certificate_revoke_batch",
    "certificate_revoke_many",
    "certificate_revocation_carry_out",
    "certificate_revocation_register",
    "revocation_approval_action",
    "revocation_refuse_held",
    "revocation_rule_agency",
    "certificate_signing_material",
    "crl_current",
    "crl_publish",
    "crl_publish_queue",
    "crl_refresh_due",
    "device_key_generate",
    "document_archive_extend",
    "device_key_pool_fill",
    "ocsp_respond",
    "remote_keys_sweep",
    "signing_event_record",
    "signing_events_record_bulk",
    "signing_events_record_pair",
    "signing_events_record_reports",
    "timestamp_refuse",
    "timestamp_respond",
    "timestamp_token",
    "timestamp_unit_ensure",
]
