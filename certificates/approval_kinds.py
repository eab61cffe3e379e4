"""What an approved CA rotation carries out (docs/approvals.md, "Rotating the issuing CA"),
registered in `CertificatesConfig.ready`: the key ceremony `ca_initialize(rotate=True)` as the
requester. `manage.py ca_init --rotate --request` records the request."""

from django.utils.translation import gettext as _

from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.registry import ApprovalKind, approval_kind_register
from certificates.services import ca_initialize

ROTATE_KEY = "authority:rotate"


def _rotate(approval, requester, approver) -> str:
    # A CertificateError (a DomainError) fails the request with its message.
    created = ca_initialize(by=requester, rotate=True)
    return _("Đã thay khóa CA phát hành: %(names)s.") % {
        "names": ", ".join(f"{a.subject_dn} (số hiệu {a.serial})" for a in created) or "—"
    }


approval_kind_register(
    ApprovalKind(
        action=ApprovalAction.CA_ROTATE,
        approver_roles=(Role.CA_OPERATOR, Role.ADMINISTRATOR),
        run=_rotate,
    )
)
