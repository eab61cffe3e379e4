"""The CA backend selected by settings.CA_BACKEND (a dotted path to a `CABackend` class)."""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from certificates.backends.base import CABackend


@cache
def _backend(path: str) -> CABackend:
    backend_class = import_string(path)
    if not issubclass(backend_class, CABackend):
        raise TypeError(f"CA_BACKEND {path!r} is not a CABackend")
    return backend_class()


def get_backend() -> CABackend:
    return _backend(settings.CA_BACKEND)


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting == "CA_BACKEND":
        _backend.cache_clear()
