"""Field rules shared by forms, imports and models (docs/domain.md §5)."""

import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

national_id_validator = RegexValidator(
    r"^\d{12}$", _("Số định danh cá nhân phải gồm đúng 12 chữ số."), code="national_id"
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
    from django.utils import timezone

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

# Public mail services an official address must not use (docs/domain.md §5). Kept as data so the
# list can grow without touching the rule.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.com.vn",
        "ymail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "zoho.com",
        "mail.ru",
        "yandex.com",
        "qq.com",
        "163.com",
    }
)


def validate_official_email(value: str) -> None:
    """Refuse addresses at public mail services: certificates carry official addresses only."""
    domain = value.rsplit("@", 1)[-1].strip().lower()
    if domain in PUBLIC_MAIL_DOMAINS:
        raise ValidationError(
            _("Địa chỉ %(email)s không phải thư điện tử công vụ (không chấp nhận %(domain)s)."),
            code="official_email",
            params={"email": value, "domain": domain},
        )


def nfc(value: str) -> str:
    """Compose Vietnamese diacritics: Excel and browsers may send them decomposed."""
    return unicodedata.normalize("NFC", value).strip() if value else value
