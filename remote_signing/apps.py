from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from oauth2_provider.apps import DOTConfig


class RemoteSigningConfig(AppConfig):
    default = True
    name = "remote_signing"
    verbose_name = _("Ký số tập trung")


class OAuthProviderConfig(DOTConfig):
    """django-oauth-toolkit, named in the admin for what it is here: the client applications of
    the CSC API and their tokens (docs/remote-signing.md)."""

    verbose_name = _("Ứng dụng ký số (OAuth)")
