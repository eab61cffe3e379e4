from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    PERSON = "person", _("Cá nhân")
    ORGANIZATION = "organization", _("Cơ quan, tổ chức")
    DEVICE_SERVICE = "device_service", _("Thiết bị, dịch vụ, phần mềm")


class CertStatus(models.TextChoices):
    VALID = "valid", _("Còn hiệu lực")
    EXPIRED = "expired", _("Hết hạn")
    REVOKED = "revoked", _("Đã thu hồi")


class RevocationReason(models.TextChoices):
    """The revocation cases of Decree 68 Art. 17 (docs/domain.md §5).

    Expiry, also an Art. 17 case, is not here: it is automatic (status EXPIRED, set by the
    periodic task) and an expired certificate is not listed on the CRL. SUPERSEDED is the
    portal's own case for the old certificate of a renewal or a change of information.
    """

    # For every kind of subscriber.
    KEY_COMPROMISE = "key_compromise", _("Khóa bí mật bị lộ hoặc nghi bị lộ")
    DEVICE_LOST = "device_lost", _("Thiết bị lưu khóa bí mật bị mất")
    DEVICE_BROKEN = "device_broken", _("Thiết bị lưu khóa bí mật bị hỏng")
    DEVICE_UNSAFE = "device_unsafe", _("Thiết bị lưu khóa bí mật không còn an toàn")
    AUTHORITY_REQUEST = (
        "authority_request",
        _("Theo văn bản yêu cầu của cơ quan tiến hành tố tụng, cơ quan công an"),
    )
    AGENCY_REQUEST = (
        "agency_request",
        _("Theo văn bản yêu cầu của cơ quan, tổ chức quản lý trực tiếp"),
    )
    # Individuals.
    POSITION_CHANGED = (
        "position_changed",
        _("Thay đổi vị trí công tác, không còn phù hợp với chứng thư"),
    )
    RETIRED = "retired", _("Nghỉ hưu")
    RESIGNED = "resigned", _("Thôi việc")
    DECEASED = "deceased", _("Qua đời")
    # Organisations.
    DISSOLVED = "dissolved", _("Cơ quan, tổ chức giải thể")
    SPLIT = "split", _("Cơ quan, tổ chức chia, tách")
    MERGED = "merged", _("Cơ quan, tổ chức sáp nhập, hợp nhất")
    # Devices, services, software.
    CEASED_OPERATION = "ceased_operation", _("Thiết bị, dịch vụ, phần mềm ngừng hoạt động")
    # The portal's own: the certificate was replaced by a renewal or a change of information.
    SUPERSEDED = "superseded", _("Được thay thế bởi chứng thư mới")


_COMMON_REASONS = frozenset(
    {
        RevocationReason.KEY_COMPROMISE,
        RevocationReason.DEVICE_LOST,
        RevocationReason.DEVICE_BROKEN,
        RevocationReason.DEVICE_UNSAFE,
        RevocationReason.AUTHORITY_REQUEST,
        RevocationReason.AGENCY_REQUEST,
    }
)

# Which Art. 17 cases a caller may give for each kind of subscriber.
REASONS_BY_SUBJECT_KIND: dict[str, frozenset[str]] = {
    SubjectKind.PERSON: _COMMON_REASONS
    | {
        RevocationReason.POSITION_CHANGED,
        RevocationReason.RETIRED,
        RevocationReason.RESIGNED,
        RevocationReason.DECEASED,
    },
    SubjectKind.ORGANIZATION: _COMMON_REASONS
    | {RevocationReason.DISSOLVED, RevocationReason.SPLIT, RevocationReason.MERGED},
    SubjectKind.DEVICE_SERVICE: _COMMON_REASONS | {RevocationReason.CEASED_OPERATION},
}

# RFC 5280 §5.3.1 CRLReason for each case, spelt as cryptography's x509.ReasonFlags values.
RFC5280_REASON: dict[str, str] = {
    RevocationReason.KEY_COMPROMISE: "keyCompromise",
    RevocationReason.DEVICE_LOST: "keyCompromise",
    RevocationReason.DEVICE_BROKEN: "cessationOfOperation",
    RevocationReason.DEVICE_UNSAFE: "keyCompromise",
    RevocationReason.AUTHORITY_REQUEST: "privilegeWithdrawn",
    RevocationReason.AGENCY_REQUEST: "cessationOfOperation",
    RevocationReason.POSITION_CHANGED: "affiliationChanged",
    RevocationReason.RETIRED: "affiliationChanged",
    RevocationReason.RESIGNED: "affiliationChanged",
    RevocationReason.DECEASED: "cessationOfOperation",
    RevocationReason.DISSOLVED: "cessationOfOperation",
    RevocationReason.SPLIT: "affiliationChanged",
    RevocationReason.MERGED: "affiliationChanged",
    RevocationReason.CEASED_OPERATION: "cessationOfOperation",
    RevocationReason.SUPERSEDED: "superseded",
}


# The cases that say the key may be in other hands (RFC 5280 keyCompromise): the only ones a
# certificate whose device was reported lost may still be revoked for (docs/domain.md §3.8).
KEY_AT_RISK_REASONS = frozenset(
    reason for reason, code in RFC5280_REASON.items() if code == "keyCompromise"
)


class CertEventKind(models.TextChoices):
    """Steps of a certificate's history, shown on its page (issued → renewed → … → revoked)."""

    ISSUED = "issued", _("Cấp mới")
    RENEWED = "renewed", _("Gia hạn")
    INFO_CHANGED = "info_changed", _("Thay đổi thông tin")
    REVOKED = "revoked", _("Thu hồi")
    EXPIRED = "expired", _("Hết hạn")


class AuthorityKind(models.TextChoices):
    ROOT = "root", _("CA gốc")
    ISSUING = "issuing", _("CA phát hành")


class KeyAlgorithm(models.TextChoices):
    RSA2048 = "rsa2048", "RSA 2048"
    RSA3072 = "rsa3072", "RSA 3072"
    RSA4096 = "rsa4096", "RSA 4096"
    EC_P256 = "ec_p256", "EC P-256"


# docs/domain.md §8: subscriber keys are RSA 2048/3072; EC P-256 is offered for the simulation.
SUBSCRIBER_KEY_ALGORITHMS = frozenset(
    {KeyAlgorithm.RSA2048, KeyAlgorithm.RSA3072, KeyAlgorithm.EC_P256}
)


class RevocationRequester(models.TextChoices):
    """Who asked for a revocation the CA registers without a Mẫu 05 (Decree 68 Art. 18,
    docs/domain.md §5.5)."""

    AUTHORITY = "authority", _("Cơ quan nhà nước có thẩm quyền")
    CA = "ca", _("Tổ chức cung cấp dịch vụ chứng thực (Cục CTS&BMTT)")


class SigningEventKind(models.TextChoices):
    """What happened to a signature the portal saw (docs/architecture.md §13): the
    signing-activity monitor of letter 86/BCY-CTSBMTT (docs/domain.md §11)."""

    SIGNED = "signed", _("Ký số trên cổng")
    UPLOADED = "uploaded", _("Tải lên văn bản đã ký")
    VERIFIED = "verified", _("Kiểm tra chữ ký")
    OCSP = "ocsp", _("Tra cứu OCSP")
    TSA = "tsa", _("Cấp dấu thời gian")
    # A signature made with a key in the CA's HSM for a signing application through the CSC
    # API (docs/remote-signing.md): the portal's own documents signed that way are SIGNED.
    REMOTE = "remote", _("Ký số tập trung (ứng dụng ngoài cổng)")
    # Sole control of a remote credential changed: locked (wrong PINs, "lock now") or reopened
    # by a Mẫu 06 (docs/remote-signing.md, "Mẫu 06"). Not signatures.
    REMOTE_LOCK = "rlock", _("Khóa ký số tập trung bị khóa")
    REMOTE_UNLOCK = "runlock", _("Khóa ký số tập trung được mở lại (Mẫu 06)")


# The kinds that are a signature made by the certificate's key (at the portal, at the signer's
# desk and uploaded, or in the CA's HSM for an application): what "signing" and "using a
# certificate" mean to the monitor.
SIGNATURE_KINDS = (SigningEventKind.SIGNED, SigningEventKind.UPLOADED, SigningEventKind.REMOTE)


class IssuerKind(models.TextChoices):
    GOVERNMENT = "government", _("Chuyên dùng Chính phủ")
    PUBLIC = "public", _("Công cộng (không chuyên dùng)")


class SignedDocumentKind(models.TextChoices):
    LETTER = "letter", _("Văn bản đề nghị (Mẫu 01–06)")
    DEVICE_DOCUMENT = "device_document", _("Văn bản thiết bị (Mẫu 07–09)")
    MONTHLY_REPORT = "monthly_report", _("Báo cáo tháng")
    DEMAND = "demand", _("Đăng ký nhu cầu")
    NONE = "", _("Không gắn văn bản")


class SigningOutcome(models.TextChoices):
    OK = "ok", _("Hợp lệ")
    REVOKED = "revoked", _("Chứng thư đã thu hồi")
    EXPIRED = "expired", _("Chứng thư đã hết hạn")
    UNTRUSTED = "untrusted", _("Không chuỗi về CA tin cậy")
    INVALID = "invalid", _("Chữ ký không hợp lệ")
    UNKNOWN = "unknown", _("Không rõ chứng thư")


# Outcomes of a signature made with a certificate no longer good for signing.
BAD_CERTIFICATE_OUTCOMES = (SigningOutcome.REVOKED, SigningOutcome.EXPIRED)
