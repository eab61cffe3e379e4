"""The rules a row must satisfy, checked when drafting and again on submit (docs/domain.md §5).

`row_errors(row)` returns {field: [Vietnamese messages]}, with "__all__" for row-wide ones;
an empty dict means the row may be saved and submitted. Thresholds are settings.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Organization
from agencies.querysets import find_unit
from agencies.validators import nfc, validate_official_email
from certificates.choices import (
    KEY_AT_RISK_REASONS,
    REASONS_BY_SUBJECT_KIND,
    CertStatus,
    SubjectKind,
)
from certificates.models import Certificate
from devices.choices import DeviceStatus
from portal.field_crypto import blind_index
from portal.lib.messages import Message
from portal.lib.xlsx import FORMULA_TRIGGERS
from privacy.masking import mask_id
from requests_app.choices import ChangeField, FormKind
from requests_app.columns import FORM_COLUMNS, REQUIRED_COLUMNS
from requests_app.models import RequestRow


def days_left(certificate) -> int:
    return (certificate.not_after - timezone.now()).days


def _belongs_to_agency(obj, agency) -> bool:
    return obj.agency_id is not None and obj.agency.is_within(agency)


@dataclass(frozen=True)
class RowFacts:
    """What the rules would otherwise ask the database for each new row, read once for many
    rows of one letter (`requests_app.services.prepared`): the certificates and devices with
    an open request, the NFC, lower-case names of the letter agency's units in force, and the
    ids of every organisation within the letter's agency (whose certificates and devices
    it may act on)."""

    open_certificate_ids: frozenset[int]
    open_device_ids: frozenset[int]
    unit_names: frozenset[str]
    agency_ids: frozenset[int] = frozenset()
    # New Mẫu 01 rows checked many at a time (an import, `person_rows_facts`): the letter's
    # rows by ID number (their first position) and the valid personal certificates by their
    # holder's ID number. None: the rules ask the database for each row, or (holders) a
    # prepared letter asks nothing.
    letter_positions: dict[str, int] | None = None
    holders: dict[str, list] | None = None
    # The devices reported lost among those holding the rows' certificates (§3.8).
    lost_certificate_ids: frozenset[int] = frozenset()  # their device was reported lost


def row_facts(agency, certificate_ids=(), device_ids=()) -> RowFacts:
    open_rows = RequestRow.objects.open()
    return RowFacts(
        open_certificate_ids=frozenset(
            open_rows.filter(certificate_id__in=list(certificate_ids)).values_list(
                "certificate_id", flat=True
            )
        ),
        open_device_ids=frozenset(
            open_rows.filter(device_id__in=list(device_ids)).values_list("device_id", flat=True)
        ),
        unit_names=frozenset(
            nfc(name).lower()
            for name in Organization.objects.active()
            .within(agency.path)
            .values_list("name", flat=True)
        ),
        agency_ids=frozenset(Organization.objects.within(agency.path).values_list("pk", flat=True)),
        lost_certificate_ids=frozenset(
            Certificate.objects.filter(
                pk__in=list(certificate_ids), device__status=DeviceStatus.LOST
            ).values_list("pk", flat=True)
        ),
    )


ID_LOOKUP_CHUNK = 1000


def person_rows_facts(cert_request, national_ids, *, positions=None) -> RowFacts:
    """What the rules ask the database about new Mẫu 01 rows of a letter, read for many ID
    numbers at once (a few queries per thousand rows): the letter's existing rows (unless
    `positions`, from `letter_positions`, is given) and the valid certificates of these
    people. The other facts are empty: a Mẫu 01 row acts on no certificate or device."""
    ids = sorted({value for value in national_ids if value})
    holders: dict[str, list] = defaultdict(list)
    for start in range(0, len(ids), ID_LOOKUP_CHUNK):
        for certificate in Certificate.objects.valid_of_people(
            ids[start : start + ID_LOOKUP_CHUNK]
        ):
            holders[certificate.person.national_id].append(certificate)
    return RowFacts(
        open_certificate_ids=frozenset(),
        open_device_ids=frozenset(),
        unit_names=frozenset(),
        letter_positions=letter_positions(cert_request, ids) if positions is None else positions,
        holders=dict(holders),
    )


def letter_positions(cert_request, national_ids) -> dict[str, int]:
    """The first position of each of these ID numbers among the letter's rows."""
    ids = sorted({value for value in national_ids if value})
    positions: dict[str, int] = {}
    if cert_request.pk is None:
        return positions
    for start in range(0, len(ids), ID_LOOKUP_CHUNK):
        chunk = {blind_index(value): value for value in ids[start : start + ID_LOOKUP_CHUNK]}
        for index, position in (
            cert_request.rows.filter(national_id_index__in=list(chunk))
            .order_by("-position")
            .values_list("national_id_index", "position")
        ):
            positions[chunk[index]] = position  # the lowest position wins, as in the row check
    return positions


def row_errors(row, facts: RowFacts | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    _value_checks(row, errors, facts)
    _target_checks(row, errors, facts)
    return {field: messages for field, messages in errors.items() if messages}


def confirmation_errors(row) -> dict[str, list[str]]:
    """What the clerk must confirm before the letter is submitted: an ID number whose leading
    zero the Excel import put back (`RequestRow.national_id_unconfirmed`). Not part of
    `row_errors`, so the import itself still adds the row."""
    if row.national_id_unconfirmed:
        return {"national_id": [unconfirmed_id_message(row.national_id)]}
    return {}


def unconfirmed_id_message(national_id: str) -> str:
    """Shown on pages and in messages: the number masked (docs/privacy.md §masking); the clerk
    confirms by typing it again from the ID card (a field left blank keeps it unconfirmed)."""
    return _(
        "Số định danh %(value)s được đọc từ một ô kiểu số của Excel (đã thêm số 0 đầu): "
        "hãy đối chiếu với căn cước, nhập lại số định danh rồi lưu dòng để xác nhận."
    ) % {"value": mask_id(national_id)}


def rows_errors(rows, facts: RowFacts) -> list[dict[str, list[str]]]:
    """`row_errors` of many new rows of one letter, in order. The checks that read only a
    row's own values run once per distinct set of values (a merger's 100,000 rows have a few
    hundred: the units' names), those on its certificate or device once per row, on plain
    attributes and `facts`, without a query."""
    done: dict[tuple, dict[str, list[str]]] = {}
    result = []
    for row in rows:
        key = _values_key(row)
        value_errors = done.get(key)
        if value_errors is None:
            value_errors = defaultdict(list)
            _value_checks(row, value_errors, facts)
            done[key] = value_errors
        errors = defaultdict(list, {field: list(ms) for field, ms in value_errors.items()})
        _target_checks(row, errors, facts)
        result.append({field: messages for field, messages in errors.items() if messages})
    return result


_TARGETS = ("certificate", "device")


def _values_key(row) -> tuple:
    """What the value checks read: the form's columns, a certificate or device by presence."""
    columns = FORM_COLUMNS[row.cert_request.form]
    return (row.cert_request.form,) + tuple(
        getattr(row, f"{name}_id") is None if name in _TARGETS else getattr(row, name)
        for name in columns
    )


def _value_checks(row, errors, facts) -> None:
    """The rules on the row's own values: required columns, field validation, the form's
    rules that do not look at the certificate or device."""
    form = row.cert_request.form
    columns = FORM_COLUMNS[form]

    for name in REQUIRED_COLUMNS[form]:
        value = getattr(row, f"{name}_id" if name in _TARGETS else name)
        if value in (None, ""):
            errors[name].append(_("Trường này là bắt buộc."))
    # With facts, the certificates and devices come loaded from the database: their
    # existence needs no query per row.
    loaded = set(_TARGETS) if facts is not None else set()
    try:
        row.clean_fields(
            exclude=[f.name for f in row._meta.fields if f.name not in columns or f.name in loaded]
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors[field].extend(m for m in messages if m not in errors[field])

    if "full_name" in columns and _formula_like(row.full_name):
        errors["full_name"].append(
            _(
                "Họ và tên “%(value)s” có dạng công thức Excel (bắt đầu bằng =, +, - hoặc @): "
                "hãy ghi họ và tên của người đề nghị."
            )
            % {"value": row.full_name[:60]}
        )
    if form == FormKind.ISSUE_PERSON and row.sim_carrier and not row.mobile:
        errors["mobile"].append(_("SIM PKI cần số điện thoại di động."))
    if (
        form == FormKind.ISSUE_PERSON
        and row.cert_request.remote_signing
        and (row.sim_carrier or row.sim_keep_number)
    ):
        # The key is in the CA's HSM: no device, no carrier (docs/remote-signing.md).
        errors["sim_carrier"].append(
            _(
                "Văn bản đề nghị ký số tập trung không cấp SIM PKI: để trống nhà mạng và ô chuyển số."
            )
        )
    if form == FormKind.RENEW_CHANGE:
        _check_change_values(row, errors, facts)


def _formula_like(value: str) -> bool:
    """A text a spreadsheet would run as a formula (or a DDE payload): never a person's name
    (docs/security.md §4)."""
    return bool(value) and value.lstrip().startswith(FORMULA_TRIGGERS)


def _target_checks(row, errors, facts) -> None:
    """The rules on what the row acts on (its certificate or device) and on other rows."""
    form = row.cert_request.form
    if form == FormKind.ISSUE_PERSON and row.national_id:
        _check_person_once_per_letter(row, errors, facts)
        if facts is None or facts.holders is not None:
            # A prepared letter (a merger's) proposes new issues only where renewal is no
            # longer possible (docs/domain.md §6.5); its facts carry no holders.
            _check_no_valid_certificate(row, errors, facts)
    if form == FormKind.ISSUE_ORGANIZATION and facts is None:
        _check_no_valid_organisation_certificate(row, errors)
    if form == FormKind.RENEW_CHANGE:
        _check_renew_change(row, errors, facts)
    elif form == FormKind.REVOKE:
        _check_revoke(row, errors, facts)
    if form in (FormKind.RENEW_CHANGE, FormKind.REVOKE) and not errors["certificate"]:
        _check_device_not_lost(row, errors, facts)
    if form == FormKind.RECOVER_DEVICE:
        _check_recover(row, errors, facts)
    _check_one_open_request(row, errors, facts)


def _check_no_valid_certificate(row, errors, facts=None) -> None:
    """One valid personal certificate per person (docs/domain.md §5.8): while the person's
    certificate can still be renewed or changed (at least PORTAL_RENEW_MIN_DAYS_LEFT days
    left) a new issue is refused and the clerk pointed to Mẫu 04; under that, a new issue is
    the only way on (§5.2). The serial is named, and linked, only to its own agency (§5.3.1)."""
    if facts is not None and facts.holders is not None:
        held = facts.holders.get(row.national_id, ())
    else:
        held = Certificate.objects.valid_of_person(row.national_id).select_related("agency")
    _refuse_if_renewable(row, errors, held, field="national_id", whose=_("Người này"))


def _check_no_valid_organisation_certificate(row, errors) -> None:
    """The same rule for an organisation (Mẫu 02): known by its tax or budget-relation code."""
    if not (row.tax_code or row.budget_code):
        return
    held = Certificate.objects.valid_of_organisation(
        tax_code=row.tax_code, budget_code=row.budget_code
    ).select_related("agency")
    field = "tax_code" if row.tax_code else "budget_code"
    _refuse_if_renewable(row, errors, held, field=field, whose=_("Cơ quan, tổ chức này"))


def _refuse_if_renewable(row, errors, held, *, field: str, whose: str) -> None:
    minimum = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    for certificate in held:
        left = days_left(certificate)
        if left < minimum:
            continue
        if _belongs_to_agency(certificate, row.cert_request.agency):
            errors[field].append(
                Message(
                    "renewable_here",
                    _(
                        "{whose} đang có chứng thư {serial} còn hiệu lực (còn {left} ngày): "
                        "không cấp mới; hãy đề nghị gia hạn hoặc thay đổi thông tin (Mẫu 04)."
                    ),
                    {"whose": whose, "serial": certificate.serial, "left": left},
                    links={"serial": reverse("certificates:detail", args=[certificate.serial])},
                )
            )
        else:
            errors[field].append(
                _(
                    "%(whose)s đang có chứng thư còn hiệu lực do cơ quan khác quản lý: "
                    "không cấp mới; nếu chuyển công tác đến, hãy đề nghị thay đổi "
                    "thông tin (Mẫu 04, chuyển cơ quan công tác)."
                )
                % {"whose": whose}
            )
        return


def _belongs(obj, agency, facts) -> bool:
    if facts is not None and facts.agency_ids:
        return obj.agency_id in facts.agency_ids
    return _belongs_to_agency(obj, agency)


def _check_certificate_of_agency(row, errors, facts=None) -> bool:
    certificate = row.certificate
    if certificate is None:
        return False
    if not _belongs(certificate, row.cert_request.agency, facts):
        errors["certificate"].append(_("Chứng thư không thuộc cơ quan đề nghị."))
        return False
    if certificate.status != CertStatus.VALID or days_left(certificate) < 0:
        errors["certificate"].append(_("Chứng thư đã hết hạn hoặc đã bị thu hồi."))
        return False
    return True


def _unit_exists(row, facts) -> bool:
    if facts is not None:
        return nfc(row.new_value).lower() in facts.unit_names
    return find_unit(row.cert_request.agency, row.new_value) is not None


def _check_change_values(row, errors, facts=None) -> None:
    if not (row.renew or row.change_info):
        errors["__all__"].append(_("Chọn ít nhất một dịch vụ: gia hạn hoặc thay đổi thông tin."))
    if row.change_info and not (row.change_field and row.new_value):
        errors["new_value"].append(_("Ghi rõ thông tin cần thay đổi và thông tin mới."))
    if row.change_info and row.change_field == ChangeField.EMAIL and row.new_value:
        try:
            validate_email(row.new_value)
            validate_official_email(row.new_value)
        except ValidationError as exc:
            errors["new_value"].extend(exc.messages)
    if (
        row.change_info
        and row.change_field in (ChangeField.UNIT, ChangeField.AGENCY)
        and row.new_value
        and not _unit_exists(row, facts)
    ):
        errors["new_value"].append(
            _("Không có đơn vị “%(name)s” trong cơ quan.") % {"name": row.new_value}
        )


def _check_renew_change(row, errors, facts=None) -> None:
    moving = row.change_info and row.change_field == ChangeField.AGENCY
    if moving:
        if not _check_move(row, errors, facts):
            return
    elif not _check_certificate_of_agency(row, errors, facts):
        return
    certificate = row.certificate
    left = days_left(certificate)
    if row.renew:
        if certificate.renewal_count >= settings.PORTAL_MAX_RENEWALS:
            errors["renew"].append(
                _("Chứng thư chỉ được gia hạn %(n)d lần và đã được gia hạn.")
                % {"n": settings.PORTAL_MAX_RENEWALS}
            )
        if left < settings.PORTAL_RENEW_MIN_DAYS_LEFT:
            errors["renew"].append(
                _(
                    "Chỉ gia hạn khi chứng thư còn ít nhất %(min)d ngày (còn %(left)d ngày); "
                    "hãy đề nghị cấp mới."
                )
                % {"min": settings.PORTAL_RENEW_MIN_DAYS_LEFT, "left": left}
            )
    if row.change_info and left < settings.PORTAL_CHANGE_MIN_DAYS_LEFT:
        errors["change_info"].append(
            _("Chỉ thay đổi thông tin khi chứng thư còn ít nhất %(min)d ngày (còn %(left)d ngày).")
            % {"min": settings.PORTAL_CHANGE_MIN_DAYS_LEFT, "left": left}
        )


def _check_move(row, errors, facts=None) -> bool:
    """A person moving in from another agency (docs/domain.md §5.3.1): only the receiving
    agency files it, naming the certificate by its serial and its holder's personal ID
    number, which must match; the certificate is still of the other agency until the row is
    processed. Returns whether the certificate may be checked further."""
    if not row.national_id:
        errors["national_id"].append(
            _("Ghi số định danh cá nhân của người chuyển đến để đối chiếu với chứng thư.")
        )
    certificate = row.certificate
    if certificate is None:
        return False
    if _belongs(certificate, row.cert_request.agency, facts):
        errors["change_field"].append(
            _(
                "Chứng thư đã thuộc cơ quan đề nghị: việc chuyển cơ quan công tác do cơ quan "
                "tiếp nhận đề nghị; đổi đơn vị trong cơ quan thì chọn “Đơn vị công tác”."
            )
        )
        return False
    if not row.national_id:
        return False
    if certificate.subject_kind != SubjectKind.PERSON or not _holder_matches(certificate, row):
        errors["certificate"].append(move_mismatch_message())
        return False
    if certificate.status != CertStatus.VALID or days_left(certificate) < 0:
        errors["certificate"].append(_("Chứng thư đã hết hạn hoặc đã bị thu hồi."))
        return False
    return True


def move_mismatch_message() -> str:
    """One message for an unknown serial and a mismatched ID number: the receiving agency
    learns nothing about certificates it cannot name in full."""
    return _(
        "Số hiệu chứng thư và số định danh cá nhân không khớp với một chứng thư cá nhân "
        "của người chuyển đến."
    )


def _holder_matches(certificate, row) -> bool:
    person = certificate.person
    return person is not None and person.national_id == row.national_id


def _check_revoke(row, errors, facts=None) -> None:
    if not _check_certificate_of_agency(row, errors, facts):
        return
    allowed = REASONS_BY_SUBJECT_KIND.get(row.certificate.subject_kind, frozenset())
    if row.revoke_reason and row.revoke_reason not in allowed:
        errors["revoke_reason"].append(
            _("Lý do thu hồi này không áp dụng cho loại thuê bao của chứng thư.")
        )


def _check_device_not_lost(row, errors, facts=None) -> None:
    """A certificate whose device was reported lost (Mẫu 09) can only be revoked, for a case
    that says its key may be in other hands (docs/domain.md §3.8): no renewal, no change, no
    revocation for another reason. Read from the loaded certificate's device (`select_related`
    `certificate__device` where many rows are checked) or, with facts, without a query."""
    if row.certificate_id is None:
        return
    if facts is not None:  # no query: a prepared row's certificate may be loaded in part
        if row.certificate_id not in facts.lost_certificate_ids:
            return
    elif row.certificate.device_id is None or row.certificate.device.status != DeviceStatus.LOST:
        return
    certificate = row.certificate
    if row.cert_request.form == FormKind.REVOKE and row.revoke_reason in KEY_AT_RISK_REASONS:
        return
    errors["certificate"].append(
        _(
            "Thiết bị lưu khóa bí mật của chứng thư %(serial)s đã được báo mất (Mẫu 09): chứng "
            "thư chỉ còn được thu hồi với lý do “thiết bị lưu khóa bí mật bị mất”, bằng văn "
            "bản Mẫu 05 soạn cùng biên bản; không thể gia hạn, thay đổi thông tin hay thu hồi "
            "với lý do khác."
        )
        % {"serial": certificate.serial}
    )


def _check_recover(row, errors, facts=None) -> None:
    device = row.device
    if device is None:
        return
    if not _belongs(device, row.cert_request.agency, facts):
        errors["device"].append(_("Thiết bị không thuộc cơ quan đề nghị."))
    elif device.status != DeviceStatus.LOCKED:
        errors["device"].append(_("Chỉ khôi phục được thiết bị đang bị khóa."))


def _check_person_once_per_letter(row, errors, facts=None) -> None:
    if row.cert_request.pk is None:
        return  # a letter being prepared: its rows are compared with each other by the caller
    if facts is not None and facts.letter_positions is not None and not row.pk:
        position = facts.letter_positions.get(row.national_id)
    else:
        same = row.cert_request.rows.filter(national_id_index=blind_index(row.national_id))
        if row.pk:
            same = same.exclude(pk=row.pk)
        position = same.values_list("position", flat=True).first()
    if position is not None:
        errors["national_id"].append(
            _("Cá nhân này đã có ở dòng %(n)d của văn bản.") % {"n": position}
        )


def _check_one_open_request(row, errors, facts=None) -> None:
    for field in ("certificate", "device"):
        target_id = getattr(row, f"{field}_id")
        if target_id is None:
            continue
        if facts is not None and row.pk is None:
            known = facts.open_certificate_ids if field == "certificate" else facts.open_device_ids
            taken = target_id in known
        else:
            others = RequestRow.objects.open().filter(**{f"{field}_id": target_id})
            if row.pk:
                others = others.exclude(pk=row.pk)
            taken = others.exists()
        if taken:
            errors[field].append(
                _("Đã có một đề nghị khác chưa xử lý xong cho %(what)s này.")
                % {"what": _("chứng thư") if field == "certificate" else _("thiết bị")}
            )
