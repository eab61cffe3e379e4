from datetime import timedelta

from django.apps import apps
from django.db import models
from django.db.models import (
    BigIntegerField,
    BooleanField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    Func,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.querysets import ScopedQuerySet
from approvals.choices import OPEN_STATUSES
from certificates.choices import SIGNATURE_KINDS, AuthorityKind, CertStatus, SubjectKind
from devices.choices import DeviceStatus
from portal.field_crypto import blind_index


class EpochSeconds(Func):
    """A timestamp as whole seconds since 1970, UTC. A CRL reads 100,000 revocation times:
    as integers they load several times faster than as datetimes (docs/scale.md §12.4)."""

    output_field = BigIntegerField()
    template = "floor(extract(epoch from %(expressions)s))::bigint"

    def as_sqlite(self, compiler, connection, **extra):
        # Cut to whole seconds first: strftime rounds to the millisecond, so .9995 would give
        # the next second. `%%%%` is one literal `%` once Django has filled the template and
        # the backend its placeholders.
        template = "CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


def key_at_risk(prefix: str = "") -> ExpressionWrapper:
    """True for a certificate whose key may be in other hands and whose revocation relying
    parties cannot see yet (docs/domain.md §3.8, "A lost device"): the device holding its
    key was reported lost (Mẫu 09), and the certificate is still valid, or revoked but on no
    CRL its issuer has published since. False once a CRL lists it, and for a certificate that
    expired (it signs nothing any more and no CRL lists it). `prefix` reaches the certificate
    through a relation (`"certificate__"` from a letter's row), in the same query."""
    # A CRL's time is kept to the whole second, as its DER has it: one made at or after the
    # revocation's second lists it (this_update > revoked_at - 1 s).
    published = apps.get_model("certificates", "RevocationList").objects.filter(
        authority=OuterRef(f"{prefix}issuer"),
        this_update__gt=ExpressionWrapper(
            OuterRef(f"{prefix}revoked_at") - timedelta(seconds=1), output_field=DateTimeField()
        ),
    )
    unpublished = Q(**{f"{prefix}status": CertStatus.REVOKED}) & ~Exists(published)
    # without a device the join gives NULL, which is no risk: false, never null
    return Coalesce(
        ExpressionWrapper(
            Q(**{f"{prefix}device__status": DeviceStatus.LOST})
            & (Q(**{f"{prefix}status": CertStatus.VALID}) | unpublished),
            output_field=BooleanField(),
        ),
        Value(False),
        output_field=BooleanField(),
    )


class CertificateQuerySet(ScopedQuerySet):
    scope_people = ("person",)

    def on_device(self, device):
        """The certificates issued onto `device`, the newest first (a renewal certifies the
        same key again: a remote credential's current certificate is the first)."""
        return self.filter(device=device).order_by("-not_before")

    def with_key_at_risk(self):
        """Each certificate with `key_at_risk` (see `key_at_risk`), in the same query."""
        return self.annotate(key_at_risk=key_at_risk())

    def valid(self):
        return self.filter(status=CertStatus.VALID, not_after__gt=timezone.now())

    def ended_since(self, cutoff):
        """Certificates not ended before `cutoff` (revoked or past their end since, or still
        running): what keeps their subject's retention period open (docs/retention.md)."""
        return self.filter(
            Q(revoked_at__gte=cutoff) | Q(revoked_at__isnull=True, not_after__gte=cutoff)
        )

    def expiring_within(self, days: int):
        now = timezone.now()
        return self.valid().filter(not_after__lte=now + timedelta(days=days))

    def due_to_expire(self, now=None):
        """Still marked valid although their validity has ended."""
        return self.filter(status=CertStatus.VALID, not_after__lte=now or timezone.now())

    def revoked(self):
        return self.filter(status=CertStatus.REVOKED)

    def on_crl_of(self, authority, at=None):
        """What the CRL of `authority` lists: its revoked certificates not yet expired."""
        return self.revoked().filter(issuer=authority, not_after__gt=at or timezone.now())

    def crl_entries(self, authority, at=None):
        """(serial, revocation time in seconds since 1970 UTC, reason) of each certificate on
        the CRL of `authority`, by serial."""
        return (
            self.on_crl_of(authority, at)
            .annotate(revoked_epoch=EpochSeconds("revoked_at"))
            .order_by("serial")
            .values_list("serial", "revoked_epoch", "revocation_reason")
        )

    def lineage_of(self, certificate):
        """The certificate and every renewal or change of information of the same chain."""
        root_id = certificate.original_id or certificate.pk
        return self.filter(Q(pk=root_id) | Q(original_id=root_id))

    def valid_of_person(self, national_id: str):
        """The valid (issued, not revoked, not expired) person certificates whose holder has
        this personal ID number, outside any scope: a Mẫu 01 row for such a person is
        refused while renewal or change is still possible (docs/domain.md §5.8)."""

        return self.valid().filter(
            subject_kind=SubjectKind.PERSON, person__national_id_index=blind_index(national_id)
        )

    def valid_of_people(self, national_ids):
        """`valid_of_person` for many ID numbers at once (an import's rows), each certificate
        with its holder (`person`) and agency loaded."""

        return (
            self.valid()
            .filter(
                subject_kind=SubjectKind.PERSON,
                person__national_id_index__in=[blind_index(value) for value in national_ids],
            )
            .select_related("agency", "person")
        )

    def valid_of_organisation(self, *, tax_code: str, budget_code: str):
        """The valid organisation certificates of the organisation with this tax code or
        budget-relation code, outside any scope: a Mẫu 02 row for it is refused while renewal
        or change is still possible, as for a person (docs/domain.md §5.8)."""

        same = Q(pk__in=[])
        if tax_code:
            same |= Q(subject_organization__tax_code=tax_code)
        if budget_code:
            same |= Q(subject_organization__budget_code=budget_code)
        return self.valid().filter(same, subject_kind=SubjectKind.ORGANIZATION)

    def held_by_person(self, *, serial: str, national_id: str):
        """The person certificate with this serial whose holder has this personal ID number,
        outside any scope: how a receiving agency names the certificate of a person moving in
        from another agency (docs/domain.md §5.3.1). Both must match, so an agency cannot
        reach a certificate it cannot name in full."""
        serial = (serial or "").strip()
        national_id = (national_id or "").strip()
        if not serial or not national_id:
            return self.none()
        return self.filter(
            serial__in={serial, serial.lower(), serial.upper()},
            person__national_id_index=blind_index(national_id),
        )

    def awaiting_registered_revocation(self, ids):
        """(certificate id, approval id) of the certificates among `ids` that a registered
        revocation waiting for its open approval request holds (docs/approvals.md)."""
        return self.filter(
            pk__in=list(ids),
            registered_revocations__revoked_at__isnull=True,
            registered_revocations__approval__status__in=OPEN_STATUSES,
        ).values_list("pk", "registered_revocations__approval_id")

    def for_registry(self):
        """What the registry list shows, fetched in the same query as the rows."""
        return (
            self.select_related("agency", "agency__province", "device")
            .defer("der")
            .with_key_at_risk()
        )


class AuthorityQuerySet(models.QuerySet):
    def active_issuing(self):
        return self.filter(kind=AuthorityKind.ISSUING, is_active=True)

    def active_root(self):
        return self.filter(kind=AuthorityKind.ROOT, is_active=True)

    def publishing_crls(self, at=None):
        """CAs whose certificates may still be in use, so their CRLs must stay fresh."""
        return self.filter(not_after__gt=at or timezone.now())

    def public(self):
        """Everything but the private key, which nothing outside the backend may load."""
        return self.defer("private_key_pem")


class CertificateEventQuerySet(models.QuerySet):
    def for_lineage_of(self, certificate):
        root_id = certificate.original_id or certificate.pk
        return self.filter(
            Q(certificate_id=root_id) | Q(certificate__original_id=root_id)
        ).select_related("certificate", "actor", "related")


class RevocationListQuerySet(models.QuerySet):
    def latest_for(self, authority):
        return self.filter(authority=authority).order_by("-number").first()


class SigningEventQuerySet(ScopedQuerySet):
    """Signing events, scoped by their agency (docs/architecture.md §13); an event with no
    agency (an OCSP question about a serial the registry does not know) only the CA sees."""

    def between(self, start, end):
        return self.filter(at__gte=start, at__lt=end)

    def signatures(self):
        """Signatures made by a certificate's key: at the portal, or uploaded."""
        return self.filter(kind__in=SIGNATURE_KINDS)
