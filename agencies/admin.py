from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agencies.code_admin import OrganizationCodesAdminMixin
from agencies.models import Membership, Organization, Person


@admin.register(Organization)
class OrganizationAdmin(OrganizationCodesAdminMixin, admin.ModelAdmin):
    """Organisations, with their official code (agencies/code_admin.py: set through
    `organization_code_set`, searched by `code_q`, the official list imported)."""

    list_display = ["name", "code", "kind", "province", "parent", "budget_code", "valid_to"]
    list_filter = ["kind", "province"]
    search_fields = ["name", "tax_code", "budget_code", "official_email"]
    raw_id_fields = ["parent", "province", "superseded_by"]
    readonly_fields = ["path"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    # The ID number is encrypted: shown masked, and never a sort key (it would sort ciphertext).
    list_display = ["full_name", "national_id_tail", "organization", "position", "official_email"]
    search_fields = ["full_name", "official_email"]
    raw_id_fields = ["organization", "user"]

    @admin.display(description=_("số định danh"))
    def national_id_tail(self, person) -> str:
        return f"…{person.national_id[-4:]}" if person.national_id else ""

    def get_search_results(self, request, queryset, search_term):
        """Also a whole ID number, by its blind index (it is encrypted)."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        return found | queryset.with_national_id(search_term), duplicates


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organization", "authority", "on_behalf_of"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__name"]
    raw_id_fields = ["user", "organization"]


# Second factor (agencies/accounts/admin.py): registered with the rest of the app's admin.
import agencies.accounts.admin  # noqa: E402, F401
