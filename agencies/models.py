from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.choices import OrgKind, Role, SigningAuthority
from agencies.codes import CODE_LENGTH, normalize_code
from agencies.querysets import MembershipQuerySet, OrganizationQuerySet, PersonQuerySet
from agencies.validators import (
    budget_code_validator,
    mobile_validator,
    national_id_validator,
    nfc,
    tax_code_validator,
    validate_agency_code,
    validate_birth_date,
    validate_issue_date,
    validate_mail_domains,
    validate_official_email,
)
from portal.field_crypto import BlindIndexField, EncryptedCharField, EncryptedDateField


class Organization(models.Model):
    """A node of the organisation tree: ministry, province, its Sở KH&CN, agency, unit, the CA.

    `path` is a materialised path of ids ("/1/7/42/") so that "this agency and all its units"
    or "everything in this province" is one indexed prefix match, whatever the depth.
    Merged or renamed organisations are never deleted: they get `valid_to` and `superseded_by`.
    """

    kind = models.CharField(_("loại"), max_length=20, choices=OrgKind.choices)
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cơ quan cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    province = models.ForeignKey(
        "self",
        verbose_name=_("tỉnh, thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgKind.PROVINCE},
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    # The official electronic identifier (Quyết định 20/2020/QĐ-TTg, docs/exchange.md): NULL
    # until known, unique when set; a retired organisation keeps its own (never given to
    # another), a replaced one is kept in FormerCode.
    code = models.CharField(
        _("mã định danh điện tử"),
        max_length=CODE_LENGTH,
        null=True,
        blank=True,
        validators=[validate_agency_code],
        help_text=_("Theo Quyết định 20/2020/QĐ-TTg, ví dụ 000.00.05.H29."),
    )
    tax_code = models.CharField(
        _("mã số thuế"), max_length=14, blank=True, validators=[tax_code_validator]
    )
    budget_code = models.CharField(
        _("mã quan hệ ngân sách"), max_length=7, blank=True, validators=[budget_code_validator]
    )
    official_email = models.EmailField(
        _("thư điện tử công vụ"), blank=True, validators=[validate_official_email]
    )
    mail_domains = models.CharField(
        _("tên miền thư điện tử riêng"),
        max_length=255,
        blank=True,
        validators=[validate_mail_domains],
        help_text=_(
            "Tên miền thư điện tử công vụ riêng của cơ quan ngoài .gov.vn (ví dụ bvdkld.vn), "
            "cách nhau bằng dấu phẩy."
        ),
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("được thay thế bởi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("cơ quan, tổ chức")
        verbose_name_plural = _("cơ quan, tổ chức")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="org_validity_ordered",
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."),
            ),
            models.UniqueConstraint(
                fields=["budget_code"],
                condition=~Q(budget_code=""),
                name="org_budget_code_unique",
                violation_error_message=_("Mã quan hệ ngân sách này đã được dùng."),
            ),
            models.UniqueConstraint(
                fields=["code"],
                name="org_code_unique",
                violation_error_message=_("Mã định danh điện tử này đã là mã của cơ quan khác."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = nfc(self.name)
        self.address = nfc(self.address)
        self.code = normalize_code(self.code) or None
        if self.kind == OrgKind.PROVINCE:
            self.province = None
        elif self.parent_id and self.province_id is None:
            parent = self.parent
            self.province_id = parent.pk if parent.kind == OrgKind.PROVINCE else parent.province_id
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent_id else '/'}{self.pk}/"
        if path != self.path:
            self.path = path
            type(self).objects.filter(pk=self.pk).update(path=path)

    def clean(self) -> None:
        super().clean()
        self.code = normalize_code(self.code) or None

    def is_within(self, other: "Organization") -> bool:
        """Whether this node is `other` or lies anywhere below it in the tree."""
        return self.path.startswith(other.path)

    @property
    def is_active(self) -> bool:
        return self.valid_to is None and self.superseded_by_id is None

    @property
    def name_with_code(self) -> str:
        """The name, then the official code when there is one, as pickers show it."""
        return f"{self.name} · {self.code}" if self.code else self.name

    def successor(self) -> "Organization":
        """This organisation, or the one that took it over (through every merger since)."""
        node, seen = self, {self.pk}
        while node.superseded_by_id is not None and node.superseded_by_id not in seen:
            seen.add(node.superseded_by_id)
            node = node.superseded_by
        return node

    @property
    def managing_agency(self) -> "Organization | None":
        """The nearest ancestor-or-self that is a legal person with a seal."""
        node: Organization | None = self
        while node is not None and node.kind == OrgKind.UNIT:
            node = node.parent
        return (
            node if node is not None and node.kind in (OrgKind.AGENCY, OrgKind.MINISTRY) else None
        )


class FormerCode(models.Model):
    """A code an organisation held before the official list gave it another one
    (`organization_code_set`): still found by `Organization.objects.by_code`, which leads to
    the organisation and, once a merger retired it, to its successor (`superseded_by`). A
    code is never given to another organisation, so each former code names one."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("cơ quan, tổ chức"),
        on_delete=models.PROTECT,
        related_name="former_codes",
    )
    code = models.CharField(_("mã định danh cũ"), max_length=CODE_LENGTH)
    replaced_by = models.CharField(_("thay bằng mã"), max_length=CODE_LENGTH, blank=True)
    retired_at = models.DateTimeField(_("thôi dùng lúc"))
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thay đổi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("mã định danh cũ")
        verbose_name_plural = _("mã định danh cũ")
        ordering = ["-retired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="former_code_unique",
                violation_error_message=_("Mã định danh cũ này đã được ghi nhận."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.replaced_by or '—'} ({self.organization})"


class Person(models.Model):
    """A subscriber's personal data (Mẫu 01 columns)."""

    full_name = models.CharField(_("họ và tên"), max_length=128)
    # ID number, dates and phone encrypted at rest; the ID found by its blind index
    # (portal.field_crypto, docs/privacy-at-rest.md).
    date_of_birth = EncryptedDateField(
        _("ngày sinh"), null=True, blank=True, validators=[validate_birth_date]
    )
    national_id = EncryptedCharField(
        _("số định danh cá nhân"),
        max_length=12,
        validators=[national_id_validator],
        blind_index="national_id_index",
    )
    # Found by the index of `person_national_id_unique`: a second one was one more entry to
    # write at every change of the ID (docs/retention.md §6).
    national_id_index = BlindIndexField(db_index=False)
    id_issue_date = EncryptedDateField(
        _("ngày cấp"), null=True, blank=True, validators=[validate_issue_date]
    )
    id_issue_place = models.CharField(_("nơi cấp"), max_length=128, blank=True)
    position = models.CharField(_("chức vụ"), max_length=128, blank=True)
    mobile = EncryptedCharField(
        _("số điện thoại di động"), max_length=10, blank=True, validators=[mobile_validator]
    )
    official_email = models.EmailField(
        _("thư điện tử công vụ"), validators=[validate_official_email]
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("cơ quan, đơn vị công tác"),
        on_delete=models.PROTECT,
        related_name="people",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    # Empty for the people recorded before the field existed: the retention sweep reads them as
    # old (docs/retention.md).
    created_at = models.DateTimeField(_("tạo lúc"), null=True, default=timezone.now, editable=False)
    # When the retention sweep replaced the personal fields by neutral values; empty while they
    # are the person's own (docs/retention.md).
    deidentified_at = models.DateTimeField(
        _("ẩn danh hoá lúc"), null=True, blank=True, editable=False
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("cá nhân")
        verbose_name_plural = _("cá nhân")
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["national_id_index"],
                name="person_national_id_unique",
                violation_error_message=_("Số định danh cá nhân này đã có trong hệ thống."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.normalize()
        super().save(*args, **kwargs)

    # What the retention sweep replaces by values no form would take: the neutral ID "X…"
    # and an empty e-mail (docs/retention.md §3).
    MINIMISED_FIELDS = ("national_id", "official_email")

    def clean_fields(self, exclude=None):
        """A minimised person's neutral ID and empty e-mail are not checked: an administrator
        can still correct their name or position (docs/retention.md)."""
        if self.deidentified_at is not None:
            exclude = {*(exclude or ()), *self.MINIMISED_FIELDS}
        super().clean_fields(exclude=exclude)

    def normalize(self) -> None:
        """What every save stores: composed diacritics, a lower-case e-mail (bulk writes,
        which skip `save`, call it themselves)."""
        self.full_name = nfc(self.full_name)
        self.position = nfc(self.position)
        self.id_issue_place = nfc(self.id_issue_place)
        self.official_email = self.official_email.strip().lower()


class Membership(models.Model):
    """A user's role, held for an organisation (none for subscribers and administrators)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("cơ quan, tổ chức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    # How this account signs the organisation's documents (docs/domain.md §10.1): for a head's
    # membership only; blank = in its own name ("GIÁM ĐỐC"), else on behalf of the head whose
    # title is `on_behalf_of` ("KT. GIÁM ĐỐC" above "PHÓ GIÁM ĐỐC").
    authority = models.CharField(
        _("thẩm quyền ký"), max_length=3, choices=SigningAuthority.choices, blank=True, default=""
    )
    on_behalf_of = models.CharField(
        _("chức danh người đứng đầu được ký thay"),
        max_length=128,
        blank=True,
        default="",
        help_text=_("Ví dụ: Giám đốc. Bắt buộc khi ký thay, quyền, thừa lệnh, thừa ủy quyền."),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("vai trò người dùng")
        verbose_name_plural = _("vai trò người dùng")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                name="membership_unique",
                violation_error_message=_("Người dùng đã có vai trò này tại cơ quan này."),
            ),
            models.CheckConstraint(
                condition=models.Q(authority="") | ~models.Q(on_behalf_of=""),
                name="membership_authority_names_the_head",
                violation_error_message=_(
                    "Ký thay, quyền, thừa lệnh hoặc thừa ủy quyền phải ghi chức danh người đứng "
                    "đầu được ký thay."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization or '—'}"


class DocumentCounter(models.Model):
    """The last number given to a series of documents of one organisation in one year.

    `agencies.services.document_number_next` bumps it under a row lock; the unique constraint
    makes a second counter for the same series impossible, so two documents issued at the
    same moment can never draw the same number.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="document_counters"
    )
    series = models.CharField(_("loại văn bản"), max_length=16)
    year = models.PositiveSmallIntegerField(_("năm"))
    last = models.PositiveIntegerField(_("số cuối"), default=0)

    class Meta:
        verbose_name = _("bộ đếm số văn bản")
        verbose_name_plural = _("bộ đếm số văn bản")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "series", "year"],
                name="document_counter_unique",
                violation_error_message=_("Cơ quan đã có bộ đếm cho loại văn bản này trong năm."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.series} · {self.year}: {self.last}"


class UserSession(models.Model):
    """A session a user signed in with, recorded at sign-in, so that every session of one user
    can be ended at once (deactivation, "sign out everywhere") without scanning the session
    table (agencies/accounts/sessions.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(_("khóa phiên"), max_length=40, unique=True)
    started_at = models.DateTimeField(_("bắt đầu"))

    class Meta:
        verbose_name = _("phiên đăng nhập")
        verbose_name_plural = _("phiên đăng nhập")

    def __str__(self) -> str:
        return f"{self.user} · {self.started_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A personal API token (agencies/accounts/tokens.py): the machine acts as its owner, with
    the owner's current roles and scope. Only the SHA-256 of the token is stored; `prefix`, the
    visible start of the token, finds the row."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("khóa API")
        verbose_name_plural = _("khóa API")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.owner} · {self.name} ({self.prefix}…)"


class EnrolmentCode(models.Model):
    """A one-time code an administrator gives a user so that they can enrol their second factor
    after the password (agencies/accounts/twofactor.py): whoever has only the password has not
    got it. Shown once at issue; only its keyed hash is stored. It expires after
    PORTAL_ENROLMENT_CODE_HOURS, is used once, and a newer code withdraws an older one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="enrolment_codes",
    )
    digest = models.CharField(_("mã băm"), max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cấp"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("cấp lúc"), auto_now_add=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    used_at = models.DateTimeField(_("dùng lúc"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã đăng ký xác thực hai lớp")
        verbose_name_plural = _("Mã đăng ký xác thực hai lớp")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(used_at__isnull=True, withdrawn_at__isnull=True),
                name="enrolment_code_one_open_per_user",
                violation_error_message=_("Người dùng đã có một mã đăng ký chưa dùng."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%d/%m/%Y %H:%M}"


class CodeFailure(models.Model):
    """A wrong second-factor code typed from a client address: the address's share of the
    sign-in throttle beside django-axes' wrong passwords (agencies/accounts/lockout.py). The
    account's own count is kept on the device of the factor (django-otp's throttle). Rows older
    than the cool-off are deleted as new ones are written."""

    address = models.CharField(_("địa chỉ"), max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(_("lúc"), db_index=True)

    class Meta:
        verbose_name = _("mã xác thực sai")
        verbose_name_plural = _("Mã xác thực sai")

    def __str__(self) -> str:
        return f"{self.address} · {self.at:%d/%m/%Y %H:%M:%S}"
