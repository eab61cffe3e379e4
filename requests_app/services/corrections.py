"""A data subject's correction that reaches their certificate (docs/privacy.md, "The data
subject's rights"): the field shows on a valid certificate (its name, e-mail or unit), so the
clerk's handling corrects the person's record and drafts a Mẫu 04 change of information for
each such certificate, through the drafting services every letter uses. A flow over
`privacy` and `requests_app`, so a service of the higher one (docs/architecture.md §1).

All of it is one move of the request's lifecycle (`privacy.corrections.correction_acting`):
decided on the locked request, and undone whole when the letter cannot be drafted (another
open request for the certificate, too few days left): the request stays submitted.
"""

from django.utils.translation import gettext as _

from certificates.choices import SubjectKind
from portal.errors import DomainError
from privacy.choices import CorrectableField
from privacy.corrections import correction_acting, correction_apply
from privacy.models import CorrectionRequest
from requests_app.choices import ChangeField, FormKind
from requests_app.models import CertRequest
from requests_app.services.drafting import cert_request_create, row_save

# The Mẫu 04 change that carries each correctable field a certificate shows.
CHANGE_FIELDS = {
    CorrectableField.FULL_NAME: ChangeField.COMMON_NAME,
    CorrectableField.OFFICIAL_EMAIL: ChangeField.EMAIL,
    CorrectableField.UNIT: ChangeField.UNIT,
}


def correction_request_draft_letter(*, correction: CorrectionRequest, by) -> CertRequest:
    """Correct the record and draft, for the clerk's agency, a Mẫu 04 changing the field on
    each valid certificate of the person that this agency manages; the request is linked to
    the letter, which the clerk completes (section 1) and submits as any other."""
    with correction_acting(correction, "draft_letter", by=by) as acting:
        locked = acting.correction
        person = locked.person
        certificates = list(
            person.certificates.valid()
            .filter(subject_kind=SubjectKind.PERSON)
            .select_related("agency")
            .order_by("-not_before", "-pk")
        )
        agency = certificates[0].agency
        # The record first: a change of information rebuilds the subject from it.
        correction_apply(acting, by=by)
        letter = cert_request_create(
            agency=agency,
            form=FormKind.RENEW_CHANGE,
            by=by,
            subject=_("V/v thay đổi thông tin chứng thư số của %(name)s")
            % {"name": person.full_name},
        )
        for certificate in certificates:
            if certificate.agency_id != agency.pk:
                continue
            row_save(
                cert_request=letter,
                by=by,
                data={
                    "certificate": certificate,
                    "change_info": True,
                    "change_field": CHANGE_FIELDS[locked.field],
                    "new_value": locked.new_value,
                },
            )
        if not letter.rows.exists():
            raise DomainError(_("Không lập được văn bản thay đổi thông tin."), code="no_rows")
        letter.correction_request = locked
        letter.save(update_fields=["correction_request"])
        acting.note = _("Văn bản Mẫu 04 (bản nháp) #%(pk)d") % {"pk": letter.pk}
        acting.after = {"letter": letter.pk}
    return letter
