"""Field rules shared by forms, imports and models (docs/domain.md §5)."""

import re
import unicodedata
from datetime import date

from django.apps import apps  # this app's models, looked up: the models module imports this one
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.codes import parse_code

# ASCII digits only: "\d" takes any script's digits (fullwidth ０３８…), which would give the
# same number another blind index and another row (docs/privacy-at-rest.md).
national_id_validator = RegexValidator(
    r"^[0-9]{12}$", _("Số định danh cá nhân phải gồm đúng 12 chữ số."), code="national_id"
)
budget_code_validator = RegexValidator(
    r"^\d{7}$", _("Mã quan hệ ngân sách phải gồm đúng 7 chữ số."), code="budget_code"
)
tax_code_validator = RegexValidator(
    r"^\d{10}(-\d{3})?$",
    _("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu gạch và 3 chữ số."),
    code="tax_code",
)
EARLIEST_YEAR = 1900
# The youngest age at which a person is issued an identity card and works for an agency.
MINIMUM_AGE = 16


def _today() -> date:
    return timezone.localdate()


def validate_birth_date(value: date) -> None:
    """Born from 1900 on, and at least 16 years before today (docs/security.md, input)."""
    today = _today()
    try:
        latest = today.replace(year=today.year - MINIMUM_AGE)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year - MINIMUM_AGE, day=28)
    if value.year < EARLIEST_YEAR or value > latest:
        raise ValidationError(
            _("Ngày sinh phải từ năm %(first)d đến %(last)s (đủ %(age)d tuổi).")
            % {"first": EARLIEST_YEAR, "last": latest.strftime("%d/%m/%Y"), "age": MINIMUM_AGE},
            code="birth_date",
        )


def validate_issue_date(value: date) -> None:
    """An identity document's issue date: from 1900 on, and not in the future."""
    if value.year < EARLIEST_YEAR or value > _today():
        raise ValidationError(
            _("Ngày cấp phải từ năm %(first)d đến hôm nay.") % {"first": EARLIEST_YEAR},
            code="issue_date",
        )


mobile_validator = RegexValidator(
    r"^0\d{9}$", _("Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 0."), code="mobile"
)

DOMAIN_RE = r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


def split_mail_domains(value: str) -> list[str]:
    """An organisation's registered mail domains as typed: comma- or space-separated."""
    return [d.strip().strip(".").lower() for d in re.split(r"[\s,;]+", value or "") if d.strip()]


def validate_mail_domains(value: str) -> None:
    for domain in split_mail_domains(value):
        if not re.match(DOMAIN_RE, domain):
            raise ValidationError(
                _("“%(domain)s” không phải tên miền (ví dụ đúng: bvdkld.vn)."),
                code="mail_domain",
                params={"domain": domain},
            )


def _under(domain: str, allowed) -> bool:
    return any(domain == base or domain.endswith("." + base) for base in allowed)


def registered_mail_domains() -> set[str]:
    """Every organisation's own registered mail domains (a few hundred at most)."""
    Organization = apps.get_model("agencies", "Organization")

    found: set[str] = set()
    for value in Organization.objects.exclude(mail_domains="").values_list(
        "mail_domains", flat=True
    ):
        found.update(split_mail_domains(value))
    return found


def validate_official_email(value: str) -> None:
    """Accept only addresses on a state mail domain (settings.OFFICIAL_MAIL_DOMAINS, by
    default gov.vn) or on a domain an organisation registered (Organization.mail_domains),
    sub-domains included: certificates carry official addresses only (docs/domain.md §5.8)."""
    domain = value.rsplit("@", 1)[-1].strip().strip(".").lower()
    allowed = settings.OFFICIAL_MAIL_DOMAINS
    if _under(domain, allowed) or _under(domain, registered_mail_domains()):
        return
    raise ValidationError(
        _(
            "Địa chỉ %(email)s không phải thư điện tử công vụ: chỉ chấp nhận địa chỉ thuộc "
            "tên miền %(allowed)s (kể cả tên miền con) hoặc tên miền riêng đã đăng ký của "
            "cơ quan."
        ),
        code="official_email",
        params={"email": value, "allowed": ", ".join(f".{d}" for d in allowed)},
    )


def nfc(value: str) -> str:
    """Compose Vietnamese diacritics: Excel and browsers may send them decomposed."""
    return unicodedata.normalize("NFC", value).strip() if value else value


def validate_agency_code(value: str) -> None:
    """An official electronic identifier of the structure of Quyết định 20/2020/QĐ-TTg
    (agencies/codes.py), no level skipped. Its place under the parent's code is checked by
    `check_code_under_parent` (it needs the tree)."""
    if not value:
        return
    code = parse_code(value)
    if code is None:
        raise ValidationError(
            _(
                "Mã định danh “%(code)s” không đúng cấu trúc của Quyết định 20/2020/QĐ-TTg: "
                "bốn nhóm cách nhau bằng dấu chấm, 000.00.00.A00 (ví dụ 000.00.00.H29, "
                "000.00.05.H29)."
            ),
            code="agency_code",
            params={"code": value},
        )
    if code.missing_level is not None:
        raise ValidationError(
            _("Mã định danh “%(code)s” có mã cấp %(level)d nhưng thiếu mã cấp %(missing)d."),
            code="agency_code_level",
            params={"code": value, "level": code.level, "missing": code.missing_level},
        )


def check_code_under_parent(value: str, parent_code: str, parent_name: str) -> None:
    """A child's code repeats every non-zero group of its parent's code, one level or more
    below it (skipped when either code is blank or malformed: `validate_agency_code`)."""
    code, above = parse_code(value or ""), parse_code(parent_code or "")
    if code is None or above is None or code.is_below(above):
        return
    raise ValidationError(
        _(
            "Mã định danh “%(code)s” không nằm dưới mã của cơ quan cấp trên %(parent)s "
            "(%(parent_code)s): mã của đơn vị cấp dưới giữ nguyên các nhóm mã của cấp trên."
        ),
        code="agency_code_parent",
        params={"code": value, "parent": parent_name, "parent_code": parent_code},
    )
