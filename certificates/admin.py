"""Read-only admin for the registry and the CA.

Every write goes through `certificates.services` (history, audit, CRL), so nothing here can
add, change or delete. Private keys are excluded from every form and deferred in every
queryset: the admin never shows them.
"""

from django.contrib import admin

from certificates.models import (
    Certificate,
    CertificateAuthority,
    CertificateEvent,
    DeviceKey,
    RegisteredRevocation,
    RevocationList,
    Timestamp,
    TimestampUnit,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "generation", "is_active", "not_before", "not_after"]
    list_filter = ["kind", "is_active"]
    exclude = ["private_key_pem", "certificate_der"]
    readonly_fields = [
        "kind",
        "name",
        "generation",
        "parent",
        "serial",
        "subject_dn",
        "key_id",
        "key_algorithm",
        "token_serial",
        "token_key_id",
        "not_before",
        "not_after",
        "is_active",
        "retired_at",
        "fingerprint_sha256",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("private_key_pem")


@admin.register(DeviceKey)
class DeviceKeyAdmin(ReadOnlyAdmin):
    list_display = ["key_id", "algorithm", "device", "created_at"]
    list_filter = ["algorithm"]
    exclude = ["private_key_pem", "public_key_der"]
    readonly_fields = ["device", "algorithm", "key_id", "created_at"]
    list_select_related = ["device"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("private_key_pem")


class CertificateEventInline(admin.TabularInline):
    model = CertificateEvent
    fk_name = "certificate"
    fields = ["kind", "at", "actor", "related", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["serial", "common_name", "subject_kind", "agency", "status", "not_after"]
    list_filter = ["status", "subject_kind", "revocation_reason"]
    search_fields = ["=serial", "common_name", "email"]
    list_select_related = ["agency"]
    show_full_result_count = False
    exclude = ["der"]
    readonly_fields = [
        "serial",
        "subject_kind",
        "subject_dn",
        "common_name",
        "email",
        "organization_name",
        "organizational_units",
        "locality",
        "agency",
        "person",
        "subject_organization",
        "device",
        "issuer",
        "key",
        "not_before",
        "not_after",
        "status",
        "renewal_count",
        "revoked_at",
        "revocation_reason",
        "superseded_by",
        "original",
    ]
    inlines = [CertificateEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("der")


@admin.register(RevocationList)
class RevocationListAdmin(ReadOnlyAdmin):
    list_display = ["authority", "number", "this_update", "next_update", "entry_count"]
    list_filter = ["authority"]
    exclude = ["der", "fingerprint"]
    readonly_fields = ["authority", "number", "this_update", "next_update", "entry_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("der")


@admin.register(RegisteredRevocation)
class RegisteredRevocationAdmin(ReadOnlyAdmin):
    list_display = ["letter_number", "letter_date", "requester", "authority_name", "created_at"]
    list_filter = ["requester"]
    exclude = ["letter_pdf"]


@admin.register(TimestampUnit)
class TimestampUnitAdmin(ReadOnlyAdmin):
    list_display = ["name", "issuer", "serial", "is_active", "not_before", "not_after"]
    list_filter = ["is_active"]
    exclude = ["private_key_pem", "certificate_der"]
    readonly_fields = [
        "name",
        "issuer",
        "serial",
        "subject_dn",
        "key_algorithm",
        "token_serial",
        "token_key_id",
        "not_before",
        "not_after",
        "is_active",
        "retired_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("private_key_pem")


@admin.register(Timestamp)
class TimestampAdmin(ReadOnlyAdmin):
    list_display = ["serial", "gen_time", "hash_algorithm", "message_imprint", "unit"]
    readonly_fields = [
        "serial",
        "unit",
        "hash_algorithm",
        "message_imprint",
        "gen_time",
        "policy",
        "nonce",
    ]
    show_full_result_count = False  # one row per token: no COUNT(*) over the table
