import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from certificates.choices import (
    RFC5280_REASON,
    AuthorityKind,
    CertEventKind,
    CertStatus,
    IssuerKind,
    KeyAlgorithm,
    RevocationReason,
    RevocationRequester,
    SignedDocumentKind,
    SigningEventKind,
    SigningOutcome,
    SubjectKind,
)

# Registered with the app here (its own module: docs/architecture.md §2.1).
from certificates.desk.models import DeskSigning  # noqa: F401
from certificates.querysets import (
    AuthorityQuerySet,
    CertificateEventQuerySet,
    CertificateQuerySet,
    RevocationListQuerySet,
    SigningEventQuerySet,
)
from certificates.tsa.models import Timestamp, TimestampUnit  # noqa: F401
from portal.lib.labels import ChoiceLabels


class CertificateAuthority(models.Model):
    """A CA certificate of the chain: the root or an issuing CA.

    The simulated CA's private key lives in its HSM slot (docs/ca.md, "Keys on tokens"): the
    row keeps the token's serial and the key's CKA_ID, the public key being in the certificate.
    Only the development key store keeps the key here, encrypted (PKCS#8, PBES2/AES-256) with
    CA_KEY_PASSPHRASE; a connector to the real CA stores certificates only. The encrypted key
    is never shown by the admin or any page: only `certificates.backends` reads it.
    Rotation retires an issuing CA (`is_active=False`) but keeps it: its certificates stay
    checkable, on its own CRL and through OCSP, until they expire.
    """

    kind = models.CharField(_("loại"), max_length=16, choices=AuthorityKind.choices)
    name = models.CharField(_("tên (CN)"), max_length=128)
    generation = models.PositiveSmallIntegerField(_("thế hệ"), default=1)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("CA cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    serial = models.CharField(_("số hiệu chứng thư"), max_length=40, unique=True)
    subject_dn = models.CharField(_("tên phân biệt"), max_length=512)
    key_id = models.CharField(_("định danh khóa (SKI)"), max_length=64, unique=True)
    key_algorithm = models.CharField(
        _("thuật toán khóa"), max_length=16, choices=KeyAlgorithm.choices
    )
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    certificate_der = models.BinaryField(_("chứng thư (DER)"), editable=False)
    private_key_pem = models.BinaryField(
        _("khóa bí mật (mã hóa)"), null=True, blank=True, editable=False
    )
    token_serial = models.CharField(_("số hiệu token HSM"), max_length=32, blank=True, default="")
    token_key_id = models.CharField(
        _("định danh khóa trên HSM (CKA_ID)"), max_length=64, blank=True, default=""
    )
    is_active = models.BooleanField(_("đang phát hành"), default=True)
    retired_at = models.DateTimeField(_("ngừng phát hành lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = _("tổ chức chứng thực (CA)")
        verbose_name_plural = _("tổ chức chứng thực (CA)")
        ordering = ["kind", "-generation"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_active=True),
                name="ca_one_active_per_kind",
                violation_error_message=_("Chỉ có một CA đang hoạt động cho mỗi loại."),
            ),
            models.CheckConstraint(
                condition=Q(kind=AuthorityKind.ROOT) | Q(parent__isnull=False),
                name="ca_issuing_has_parent",
                violation_error_message=_("CA phát hành phải có CA cấp trên."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fingerprint_sha256(self) -> str:
        return hashlib.sha256(bytes(self.certificate_der)).hexdigest().upper()


class DeviceKey(models.Model):
    """A subscriber's key pair as the registry knows it: its public key and identifier.

    In the token store (PORTAL_SUBSCRIBER_KEY_STORE="token", the default) the private key was
    generated inside the device's PKCS#11 token and never leaves it: `private_key_pem` stays
    empty. In the software store, kept only while letters are still signed on the server
    (docs/ca.md, "Subscribers' tokens"), the simulation keeps it here, encrypted with
    CA_DEVICE_KEY_PASSPHRASE.
    """

    class Store(models.TextChoices):
        SOFTWARE = "software", _("Kho khóa phần mềm (mô phỏng)")
        TOKEN = "token", _("Trong token PKCS#11 của thiết bị")

    device = models.ForeignKey(
        "devices.Device",
        verbose_name=_("thiết bị lưu khóa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="simulated_keys",
    )
    algorithm = models.CharField(_("thuật toán"), max_length=16, choices=KeyAlgorithm.choices)
    key_id = models.CharField(_("định danh khóa (SKI)"), max_length=64, unique=True)
    public_key_der = models.BinaryField(_("khóa công khai (DER)"), editable=False)
    private_key_pem = models.BinaryField(
        _("khóa bí mật (mã hóa)"), blank=True, default=b"", editable=False
    )
    store = models.CharField(
        _("nơi giữ khóa bí mật"), max_length=16, choices=Store.choices, default=Store.SOFTWARE
    )
    # Generated ahead, on no device yet: the simulated CA's key pool, standing for tokens
    # personalised before they are needed; issuance takes from it (docs/scale.md §12.3).
    in_pool = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cặp khóa trên thiết bị (mô phỏng)")
        verbose_name_plural = _("cặp khóa trên thiết bị (mô phỏng)")
        indexes = [
            models.Index(
                fields=["algorithm", "id"],
                condition=Q(in_pool=True),
                name="devicekey_pool_idx",
            ),
        ]
        constraints = [
            # A key in a token is never in the database (docs/ca.md, "Subscribers' tokens").
            models.CheckConstraint(
                condition=~Q(store="token") | Q(private_key_pem=b""),
                name="devicekey_token_key_not_stored",
                violation_error_message=_("Khóa bí mật trong token không được lưu ở cổng."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_algorithm_display()} {self.key_id[:16]}"


class Certificate(ChoiceLabels, models.Model):
    """A certificate in the registry. Its X.509 life is managed by the CA backend (docs/ca.md)."""

    serial = models.CharField(_("số hiệu chứng thư"), max_length=40, unique=True)
    subject_kind = models.CharField(_("loại thuê bao"), max_length=16, choices=SubjectKind.choices)
    common_name = models.CharField(_("tên chứng thư (CN)"), max_length=255)
    email = models.EmailField(_("thư điện tử công vụ (E)"), blank=True)
    organization_name = models.CharField(_("cơ quan cấp 1 (O)"), max_length=255, blank=True)
    organizational_units = models.CharField(_("đơn vị (OU)"), max_length=512, blank=True)
    locality = models.CharField(_("tỉnh, thành phố (L)"), max_length=128, blank=True)
    subject_dn = models.CharField(_("tên phân biệt"), max_length=1024, blank=True)
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan quản lý trực tiếp"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    person = models.ForeignKey(
        "agencies.Person",
        verbose_name=_("cá nhân"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    subject_organization = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("tổ chức thuê bao"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="own_certificates",
    )
    device = models.ForeignKey(
        "devices.Device",
        verbose_name=_("thiết bị lưu khóa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"), db_index=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=CertStatus.choices,
        default=CertStatus.VALID,
        db_index=True,
    )
    renewal_count = models.PositiveSmallIntegerField(_("số lần gia hạn"), default=0)
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revocation_reason = models.CharField(_("lý do thu hồi"), max_length=48, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("được thay bằng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )
    der = models.BinaryField(_("chứng thư (DER)"), null=True, blank=True, editable=False)
    issuer = models.ForeignKey(
        CertificateAuthority,
        verbose_name=_("CA phát hành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    key = models.ForeignKey(
        DeviceKey,
        verbose_name=_("cặp khóa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    original = models.ForeignKey(
        "self",
        verbose_name=_("chứng thư gốc của chuỗi gia hạn, thay đổi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="descendants",
        help_text=_("Chứng thư cấp mới đầu tiên; trống nếu chính là chứng thư đó."),
    )
    # What produced the certificate, as a key its caller chose (a letter row: "request_row:
    # 12:issue"): unique, so a task delivered twice can never issue twice (docs/architecture.md
    # §4). Empty for certificates made outside a letter (the key ceremony, the admin).
    origin = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("chứng thư chữ ký số")
        verbose_name_plural = _("chứng thư chữ ký số")
        ordering = ["-not_before"]
        indexes = [
            models.Index(fields=["agency", "status"], name="cert_agency_status_idx"),
            models.Index(fields=["issuer", "status"], name="cert_issuer_status_idx"),
            # The registry list's order, newest first, walked by its cursor (§12.2).
            models.Index(fields=["not_before", "id"], name="cert_not_before_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(not_after__gt=models.F("not_before")),
                name="cert_validity_ordered",
                violation_error_message=_("Hiệu lực đến phải sau hiệu lực từ."),
            ),
            models.CheckConstraint(
                condition=~Q(status=CertStatus.REVOKED) | Q(revoked_at__isnull=False),
                name="cert_revoked_has_time",
                violation_error_message=_("Chứng thư đã thu hồi phải có thời điểm thu hồi."),
            ),
            models.CheckConstraint(
                condition=~Q(subject_kind=SubjectKind.PERSON) | Q(person__isnull=False),
                name="cert_person_subject_has_person",
                violation_error_message=_("Chứng thư cá nhân phải gắn với một cá nhân."),
            ),
            models.CheckConstraint(
                condition=Q(superseded_by__isnull=True)
                | Q(status=CertStatus.REVOKED, revocation_reason=RevocationReason.SUPERSEDED),
                name="cert_superseded_is_revoked",
                violation_error_message=_(
                    "Chứng thư đã được thay thế phải ở trạng thái thu hồi (lý do: thay thế)."
                ),
            ),
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status=CertStatus.VALID),
                name="cert_one_valid_per_key",
                violation_error_message=_("Cặp khóa này đã gắn với một chứng thư còn hiệu lực."),
            ),
            models.UniqueConstraint(
                fields=["origin"],
                condition=~Q(origin=""),
                name="cert_one_per_origin",
                violation_error_message=_("Dòng đề nghị này đã có chứng thư kết quả."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial})"

    @property
    def lineage_root_id(self) -> int:
        return self.original_id or self.pk

    @property
    def fingerprint_sha256(self) -> str:
        return hashlib.sha256(bytes(self.der)).hexdigest().upper() if self.der else ""

    @property
    def revocation_reason_label(self) -> str:
        """The reason in words (the field keeps the code and declares no choices)."""
        if self.revocation_reason in RevocationReason.values:
            return str(RevocationReason(self.revocation_reason).label)
        return self.revocation_reason

    @property
    def rfc5280_reason(self) -> str:
        return RFC5280_REASON.get(self.revocation_reason, "")


class CertificateEvent(models.Model):
    """One step of a certificate's history; append-only (the audit trail has the details)."""

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("chứng thư"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("sự kiện"), max_length=16, choices=CertEventKind.choices)
    at = models.DateTimeField(_("thời điểm"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    related = models.ForeignKey(
        Certificate,
        verbose_name=_("chứng thư liên quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    objects = CertificateEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("lịch sử chứng thư")
        verbose_name_plural = _("lịch sử chứng thư")
        ordering = ["at", "pk"]
        indexes = [
            # The statistics' months still open, counted from the events (§10).
            models.Index(fields=["at", "kind"], name="certevent_at_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%d/%m/%Y}"


class RevocationList(models.Model):
    """A published CRL of one CA. The views serve the newest; a few older ones are kept."""

    authority = models.ForeignKey(
        CertificateAuthority,
        verbose_name=_("CA"),
        on_delete=models.PROTECT,
        related_name="revocation_lists",
    )
    number = models.PositiveBigIntegerField(_("số CRL"))
    this_update = models.DateTimeField(_("phát hành lúc"))
    next_update = models.DateTimeField(_("cập nhật tiếp trước"))
    entry_count = models.PositiveIntegerField(_("số chứng thư thu hồi"))
    # What the entries were built from: a republish with the same fingerprint changes nothing.
    fingerprint = models.CharField(max_length=64, editable=False)
    der = models.BinaryField(_("CRL (DER)"), editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RevocationListQuerySet.as_manager()

    class Meta:
        verbose_name = _("danh sách chứng thư bị thu hồi (CRL)")
        verbose_name_plural = _("danh sách chứng thư bị thu hồi (CRL)")
        ordering = ["authority", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "number"],
                name="crl_number_unique_per_ca",
                violation_error_message=_("Số CRL này đã được dùng cho CA này."),
            ),
        ]

    def __str__(self) -> str:
        return f"CRL #{self.number} · {self.authority}"


class RegisteredRevocation(models.Model):
    """A revocation asked for in writing by a competent authority, or decided by the CA itself
    (Decree 68 Art. 18, docs/domain.md §5.5), registered by a CA operator with the requesting
    letter. The certificates go through the same revoke service as a Mẫu 05 row's."""

    requester = models.CharField(
        _("bên yêu cầu"), max_length=16, choices=RevocationRequester.choices
    )
    authority_name = models.CharField(_("cơ quan yêu cầu"), max_length=255, blank=True)
    letter_number = models.CharField(_("số văn bản yêu cầu"), max_length=64)
    letter_date = models.DateField(_("ngày văn bản"))
    reason = models.CharField(_("lý do thu hồi"), max_length=48, choices=RevocationReason.choices)
    note = models.TextField(_("ghi chú"), max_length=2000, blank=True)
    letter_name = models.CharField(_("tên tệp văn bản"), max_length=255)
    letter_pdf = models.BinaryField(_("văn bản yêu cầu (PDF)"))
    letter_sha256 = models.CharField(max_length=64)
    certificates = models.ManyToManyField(
        Certificate, verbose_name=_("chứng thư"), related_name="registered_revocations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đăng ký"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("đăng ký lúc"), auto_now_add=True)
    # When its certificates were revoked; empty while the registration waits for a second CA
    # operator's approval (an organisation's certificate, or more than the rule lets one
    # person revoke: docs/approvals.md), and for good when that request ends unapproved.
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    approval = models.ForeignKey(
        "approvals.Approval",
        verbose_name=_("đề nghị phê duyệt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("thu hồi theo yêu cầu của cơ quan có thẩm quyền")
        verbose_name_plural = _("thu hồi theo yêu cầu của cơ quan có thẩm quyền")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(requester="authority") | ~Q(authority_name=""),
                name="registered_revocation_names_its_authority",
                violation_error_message=_("Hãy ghi tên cơ quan có thẩm quyền yêu cầu thu hồi."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter_number} ({self.letter_date:%d/%m/%Y})"


class UnaccountedKey(models.Model):
    """A key in the CA's remote-signing slot that the registry did not account for when the
    sweep saw it (docs/remote-signing.md, "Nothing half done"): kept until the next sweep finds
    it accounted for, or destroys it after REMOTE_SIGNING_ORPHAN_HOURS."""

    credential_id = models.CharField(_("định danh khóa"), max_length=32, unique=True)
    seen_at = models.DateTimeField(_("thấy lần đầu lúc"))

    class Meta:
        verbose_name = _("khóa không có trong sổ")
        verbose_name_plural = _("khóa không có trong sổ")

    def __str__(self) -> str:
        return f"{self.credential_id} ({self.seen_at:%d/%m/%Y %H:%M})"


class SigningEvent(models.Model):
    """One signature the portal saw, or one question about a certificate it answered: a
    signature made at the portal, a signed file uploaded, a signature verified, an OCSP answer
    (docs/architecture.md §13). Append-only and built for tens of millions of rows: no index
    but a BRIN on `at` and (certificate, at) (migration 0008); the monitor's pages read the
    monthly rollups the worker writes from it (`dashboard.monitor_rollups`), never this table
    whole. Written only by `certificates.services.signing_event_record` (and its bulk variant).

    The certificate is kept by key when the registry knows it, and always by serial and
    issuer kind (a public CA's certificate is not in the registry); the agency is the one whose
    document it is (or the certificate's, for OCSP), and scopes the row like every other
    (`visible_to`); `night` is computed once, in the portal's time zone."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("sự kiện"), max_length=10, choices=SigningEventKind.choices)
    at = models.DateTimeField(_("thời điểm"))
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("chứng thư"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_events",
        db_index=False,  # (certificate, at) below serves it
    )
    serial = models.CharField(_("số hiệu chứng thư"), max_length=40, blank=True)
    issuer_kind = models.CharField(
        _("loại CA phát hành"),
        max_length=10,
        choices=IssuerKind.choices,
        default=IssuerKind.GOVERNMENT,
    )
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_events",
        db_index=False,  # rows are read by time (BRIN), then grouped
    )
    document_kind = models.CharField(
        _("loại văn bản"),
        max_length=16,
        choices=SignedDocumentKind.choices,
        blank=True,
        default="",
    )
    document_id = models.BigIntegerField(_("mã văn bản"), null=True, blank=True)
    document_number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    outcome = models.CharField(
        _("kết quả"), max_length=10, choices=SigningOutcome.choices, default=SigningOutcome.OK
    )
    night = models.BooleanField(_("ban đêm (22:00–06:00)"), default=False)

    objects = SigningEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("sự kiện ký số")
        verbose_name_plural = _("sự kiện ký số")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        indexes = [
            # A certificate's days (the burst rule's median, docs/architecture.md §13).
            models.Index(fields=["certificate", "at"], name="signevent_cert_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial} · {self.at:%d/%m/%Y %H:%M}"
