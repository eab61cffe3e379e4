"""System checks of the CA settings (`manage.py check`, and `check --deploy` for secrets)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

from certificates.choices import SUBSCRIBER_KEY_ALGORITHMS, KeyAlgorithm
from certificates.signing.verify import load_certificates


@register(Tags.security, deploy=True)
def check_ca_passphrases(app_configs, **kwargs):
    """Production must bring its own passphrases: the dev defaults are public."""
    if settings.CA_ALLOW_DEV_PASSPHRASE and not settings.DEBUG:
        return [
            Error(
                "CA_ALLOW_DEV_PASSPHRASE is on outside DEBUG.",
                hint="Unset it and set CA_KEY_PASSPHRASE and CA_DEVICE_KEY_PASSPHRASE.",
                id="certificates.E000",
            )
        ]
    errors = []
    for number, name in ((1, "CA_KEY_PASSPHRASE"), (2, "CA_DEVICE_KEY_PASSPHRASE")):
        if not getattr(settings, name, "") and not settings.CA_ALLOW_DEV_PASSPHRASE:
            errors.append(
                Error(
                    f"{name} is not set: the CA cannot encrypt or use its private keys.",
                    hint="Generate one with `openssl rand -base64 32` and keep it out of the code.",
                    id=f"certificates.E00{number}",
                )
            )
    return errors


@register()
def check_ca_settings(app_configs, **kwargs):
    errors = []
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
    """The signer imports, the trust roots are readable certificates, the size cap is sane
    (docs/ca.md, "Signing and verification")."""
    errors = []
    try:
        import_string(settings.SIGNER_BACKEND)
    except ImportError as exc:
        errors.append(Error(f"SIGNER_BACKEND cannot be imported: {exc}", id="certificates.E005"))
    for path in settings.SIGNING_TRUST_ROOTS:
        try:
            if not load_certificates(path):
                raise ValueError("no certificate in the file")
        except (OSError, ValueError) as exc:
            errors.append(
                Error(f"SIGNING_TRUST_ROOTS: {path!r} is unreadable: {exc}", id="certificates.E006")
            )
    if settings.SIGNING_MAX_PDF_MB < 1:
        errors.append(Error("SIGNING_MAX_PDF_MB must be at least 1.", id="certificates.E007"))
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
