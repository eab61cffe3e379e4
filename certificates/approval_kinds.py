"""What approved requests of this app carry out (docs/approvals.md), registered in
`CertificatesConfig.ready`: a CA rotation, the key ceremony `ca_initialize(rotate=True)` as the
requester (`manage.py ca_init --rotate --request` records the request); a revocation
registered on a competent authority's letter that needs a second CA operator."""

from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.choices import Role
from approvals.choices import ApprovalAction
from approvals.registry import ApprovalKind, approval_holder_register, approval_kind_register
from certificates.models import Certificate
from certificates.services import ca_initialize, certificate_revocation_carry_out
from certificates.services.registered import OBJECT_TYPE as REGISTERED

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


def _revoke_registered(approval, requester, approver) -> str:
    return certificate_revocation_carry_out(
        approval=approval, requester=requester, approver=approver
    )


def _registered_url(approval) -> str:
    """The page of the registration's first certificate: it lists the registration and its
    requesting letter for CA operators."""
    serial = (
        Certificate.objects.filter(registered_revocations=approval.params.get("registered_id"))
        .order_by("pk")
        .values_list("serial", flat=True)
        .first()
    )
    return reverse("certificates:detail", args=[serial]) if serial else ""


for _action in (ApprovalAction.REVOKE_ORGANIZATION, ApprovalAction.REVOKE_BATCH):
    approval_kind_register(
        ApprovalKind(
            action=_action,
            approver_roles=(Role.CA_OPERATOR,),
            run=_revoke_registered,
            url=_registered_url,
            object_type=REGISTERED,
        )
    )


# A registration waiting for its approval holds its certificates: nobody revokes them by a
# bulk job or another registration meanwhile (docs/approvals.md).
approval_holder_register("certificate", Certificate.objects.awaiting_registered_revocation)
