"""Typed readers for environment variables that fail loudly on bad values.

Every variable the portal reads is listed in `.env.example`; settings call these helpers so a
typo in production stops the process at start-up instead of silently falling back.
"""

import ipaddress
import os


class EnvError(ValueError):
    """An environment variable holds a value the portal cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise EnvError(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(f"{name} must be a boolean (1/0, true/false, yes/no), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise EnvError(f"{name} must be an integer, got {value!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[str]:
    """Comma-separated IP networks ("10.0.0.0/8,::1"), checked at start-up: a typo stops the
    process with the variable's name instead of failing each request later."""
    try:
        return [str(ipaddress.ip_network(item, strict=False)) for item in env_list(name, default)]
    except ValueError as error:
        raise EnvError(f"{name}: {error}") from error


_RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str:
    """A rate limit as "number/period" (period: second, minute, hour or day, or their first
    letter), as Django REST framework reads it; "off" (or "0") turns the limit off (empty)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        value = default
    value = value.strip().lower()
    if value in {"off", "0", "none"}:
        return ""
    number, _, period = value.partition("/")
    if not number.isdigit() or int(number) < 1 or period not in _RATE_PERIODS:
        raise EnvError(f"{name} must be like 120/minute (or off), got {value!r}")
    return value
