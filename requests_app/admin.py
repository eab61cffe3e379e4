from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from privacy.masking import masked
from requests_app.models import CertRequest, RequestRow, Transition

# Section 1's values shown masked, even to an administrator (docs/privacy.md §masking).
CONTACT_MASKED = ("contact_national_id", "contact_id_issue_date", "contact_mobile")


class RowInline(admin.TabularInline):
    model = RequestRow
    extra = 0
    fields = ["position", "full_name", "organization_name", "certificate", "device", "outcome"]
    readonly_fields = fields
    can_delete = False


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    readonly_fields = ["from_status", "to_status", "action", "by", "at", "note"]
    can_delete = False


@admin.register(CertRequest)
class CertRequestAdmin(admin.ModelAdmin):
    """Read-only: letters change only through the workflow services."""

    list_display = ["__str__", "agency", "status", "issued_on", "due_on"]
    list_filter = ["form", "status"]
    search_fields = ["number", "agency__name"]
    inlines = [RowInline, TransitionInline]
    exclude = [*CONTACT_MASKED, "contact_national_id_index"]
    readonly_fields = ["contact_national_id_masked", "contact_id_issue_date_masked",
                       "contact_mobile_masked"]  # fmt: skip

    @admin.display(description=_("số định danh cá nhân"))
    def contact_national_id_masked(self, cert_request) -> str:
        return _masked(cert_request, "contact_national_id")

    @admin.display(description=_("ngày cấp"))
    def contact_id_issue_date_masked(self, cert_request) -> str:
        return _masked(cert_request, "contact_id_issue_date")

    @admin.display(description=_("số điện thoại di động"))
    def contact_mobile_masked(self, cert_request) -> str:
        return _masked(cert_request, "contact_mobile")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _masked(cert_request, name: str) -> str:
    value = getattr(cert_request, name)
    return masked(f"requests_app.CertRequest.{name}", value) if value else "—"
