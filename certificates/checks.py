"""System checks of the CA settings (`manage.py check`, and `check --deploy` for secrets)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

from certificates.backends.ca_keys import (
    DEV_CA_HSM_PIN,
    DEV_CA_HSM_SO_PIN,
    KEY_STORES,
    MIN_PASSPHRASE_LENGTH,
)
from certificates.backends.remote_keys import DEV_RSSP_HSM_PIN, DEV_RSSP_HSM_SO_PIN
from certificates.choices import SUBSCRIBER_KEY_ALGORITHMS, KeyAlgorithm
from certificates.signing.context import load_certificates


@register(Tags.security, deploy=True)
def check_ca_passphrases(app_configs, **kwargs):
    """Production must bring its own passphrases: the dev defaults are public."""
    if settings.CA_ALLOW_DEV_PASSPHRASE and not settings.DEBUG:
        return [
            Error(
                "CA_ALLOW_DEV_PASSPHRASE is on outside DEBUG.",
                hint="Unset it and set CA_HSM_PIN, CA_HSM_SO_PIN and CA_DEVICE_KEY_PASSPHRASE.",
                id="certificates.E000",
            )
        ]
    errors = []
    needed = [(2, "CA_DEVICE_KEY_PASSPHRASE")]
    if settings.CA_KEY_STORE == "file":  # the CA's keys in the database (development only)
        needed.insert(0, (1, "CA_KEY_PASSPHRASE"))
    for number, name in needed:
        if not getattr(settings, name, "") and not settings.CA_ALLOW_DEV_PASSPHRASE:
            errors.append(
                Error(
                    f"{name} is not set: the CA cannot encrypt or use its private keys.",
                    hint="Generate one with `openssl rand -base64 32` and keep it out of the code.",
                    id=f"certificates.E00{number}",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_ca_key_store(app_configs, **kwargs):
    """Production keeps the CA's keys in the HSM slot with PINs of its own (docs/ca.md, "Keys
    on tokens"): the file store and the development PINs are for a development machine."""
    errors = []
    if settings.CA_KEY_STORE == "file":
        errors.append(
            Error(
                "CA_KEY_STORE=file keeps the CA's private keys in the database.",
                hint='It is a development option: set CA_KEY_STORE="hsm" and run the key '
                "ceremony on the HSM (docs/ca.md).",
                id="certificates.E009",
            )
        )
    for number, name, dev_default in (
        (10, "CA_HSM_PIN", DEV_CA_HSM_PIN),
        (11, "CA_HSM_SO_PIN", DEV_CA_HSM_SO_PIN),
        # the remote-signing slot's (docs/remote-signing.md)
        (14, "RSSP_HSM_PIN", DEV_RSSP_HSM_PIN),
        (15, "RSSP_HSM_SO_PIN", DEV_RSSP_HSM_SO_PIN),
    ):
        value = getattr(settings, name, "") or ""
        if not value or value == dev_default or len(value) < MIN_PASSPHRASE_LENGTH:
            errors.append(
                Error(
                    f"{name} is {'a development default' if value else 'not set'} or shorter "
                    f"than {MIN_PASSPHRASE_LENGTH} characters: the HSM token needs its own.",
                    hint="Generate one with `openssl rand -base64 24` and keep it in the "
                    "deployment's secret store.",
                    id=f"certificates.E0{number}",
                )
            )
    return errors


@register()
def check_ca_settings(app_configs, **kwargs):
    errors = []
    if settings.CA_KEY_STORE not in KEY_STORES:
        errors.append(
            Error(
                f"CA_KEY_STORE={settings.CA_KEY_STORE!r} is not one of {', '.join(KEY_STORES)}.",
                id="certificates.E008",
            )
        )
    for name, allowed in (
        ("CA_ROOT_KEY_ALGORITHM", set(KeyAlgorithm.values)),
        ("CA_ISSUING_KEY_ALGORITHM", set(KeyAlgorithm.values)),
        ("CA_SUBSCRIBER_KEY_ALGORITHM", set(SUBSCRIBER_KEY_ALGORITHMS)),
    ):
        value = getattr(settings, name)
        if value not in allowed:
            errors.append(
                Error(
                    f"{name}={value!r} is not one of {', '.join(sorted(allowed))}.",
                    id="certificates.E003",
                )
            )
    try:
        import_string(settings.CA_BACKEND)
    except ImportError as exc:
        errors.append(Error(f"CA_BACKEND cannot be imported: {exc}", id="certificates.E004"))
    return errors


@register()
def check_signing_settings(app_configs, **kwargs):
    """The trust roots and the public CAs' roots are readable certificates, the size cap is sane
    (docs/ca.md, "Signing and verification", "Validation report")."""
    errors = []
    for path in settings.SIGNING_TRUST_ROOTS:
        try:
            if not load_certificates(path):
                raise ValueError("no certificate in the file")
        except (OSError, ValueError) as exc:
            errors.append(
                Error(f"SIGNING_TRUST_ROOTS: {path!r} is unreadable: {exc}", id="certificates.E006")
            )
    for path in settings.SIGNING_PUBLIC_ROOTS:
        try:
            if not load_certificates(path):
                raise ValueError("no certificate in the file")
        except (OSError, ValueError) as exc:
            errors.append(
                Error(
                    f"SIGNING_PUBLIC_ROOTS: {path!r} is unreadable: {exc}", id="certificates.E013"
                )
            )
    if settings.SIGNING_MAX_PDF_MB < 1:
        errors.append(Error("SIGNING_MAX_PDF_MB must be at least 1.", id="certificates.E007"))
    if not 0 < settings.CA_ARCHIVE_RENEW_DAYS < settings.CA_TSA_RENEW_DAYS:
        # The archive's new time-stamp must come from the TSA's next unit (docs/ca.md,
        # "Long-term signatures").
        errors.append(
            Error(
                "CA_ARCHIVE_RENEW_DAYS must be above 0 and below CA_TSA_RENEW_DAYS.",
                id="certificates.E020",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_subscriber_key_store(app_configs, **kwargs):
    """Production keeps no subscriber's private key: keys are generated in the devices'
    tokens (docs/ca.md, "Subscribers' tokens"); the software store is for the test suite's
    transition only. The tokens' PIN keys must be set (no development default)."""
    errors = []
    if settings.PORTAL_SUBSCRIBER_KEY_STORE != "token":
        errors.append(
            Error(
                f"PORTAL_SUBSCRIBER_KEY_STORE={settings.PORTAL_SUBSCRIBER_KEY_STORE!r}: "
                "subscribers' private keys would be kept by the portal.",
                hint='Set PORTAL_SUBSCRIBER_KEY_STORE="token".',
                id="certificates.E008",
            )
        )
    for name in ("PORTAL_TOKEN_SO_KEY", "PORTAL_TOKEN_PIN_KEY"):
        if not getattr(settings, name, "") and not settings.CA_ALLOW_DEV_PASSPHRASE:
            errors.append(
                Error(
                    f"{name} is not set: the devices' tokens cannot be used without it.",
                    hint="Generate one with `openssl rand -base64 32` and keep it out of the code.",
                    id="certificates.E009",
                )
            )
    return errors
