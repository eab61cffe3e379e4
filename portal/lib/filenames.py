"""File names the provincial e-office accepts (docs/domain.md §9): at most 50 characters,
no diacritics, no special characters."""

import re
import unicodedata

MAX_LENGTH = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def ascii_fold(text: str) -> str:
    """ "Mẫu 05 – Sở Tài chính" → "Mau 05 - So Tai chinh" (đ/Đ become d/D)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "ignore")
        .decode("ascii")
    )


def safe_file_name(stem: str, *, extension: str = ".pdf") -> str:
    """Letters, digits, "-" and "_" only, at most MAX_LENGTH characters with the extension."""
    cleaned = _UNSAFE.sub("_", ascii_fold(stem)).strip("_-") or "van_ban"
    cleaned = re.sub(r"_{2,}", "_", cleaned)
    return cleaned[: MAX_LENGTH - len(extension)].rstrip("_-") + extension
