"""Field rules shared by forms, imports and models (docs/domain.md §5)."""

import unicodedata

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


# --- date bounds (issue 9): a date of birth of 01/01/0001 or 31/12/9999 is a typing error ---
MIN_BIRTH_YEAR = 1900
MIN_SUBSCRIBER_AGE = 16


def validate_birth_date(value) -> None:
    """Born from 1900 to 16 years before today."""
    from datetime import date

    from django.utils import timezone

    if value is None:
        return
    today = timezone.localdate()
    try:
        latest = today.replace(year=today.year - MIN_SUBSCRIBER_AGE)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year - MIN_SUBSCRIBER_AGE, day=28)
    if value < date(MIN_BIRTH_YEAR, 1, 1) or value > latest:
        raise ValidationError(
            _("Ngày sinh phải từ năm %(min)d đến %(max)s (người từ %(age)d tuổi trở lên)."),
            code="birth_date",
            params={
                "min": MIN_BIRTH_YEAR,
                "max": latest.strftime("%d/%m/%Y"),
                "age": MIN_SUBSCRIBER_AGE,
            },
        )


def validate_issue_date(value) -> None:
    """An ID's issue date: not in the future, not before 1900."""
    from datetime import date

    from django.utils import timezone

    if value is None:
        return
    if value > timezone.localdate():
        raise ValidationError(_("Ngày cấp không được ở tương lai."), code="issue_date_future")
    if value < date(MIN_BIRTH_YEAR, 1, 1):
        raise ValidationError(
            _("Ngày cấp phải từ năm %(min)d trở đi."),
            code="issue_date_past",
            params={"min": MIN_BIRTH_YEAR},
        )
