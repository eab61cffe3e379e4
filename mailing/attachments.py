"""Attachments made when a mail is sent (docs/mail.md §2). A mail names most of its files by
their SHA-256 in the documents' storage; a file that would be slow to make inside the
transaction that writes the mail (the issued letter's Word file: seconds for a long letter,
with the letter's row locked) is named instead by the kind of file and its source, and the mail
worker makes it at the mail's attempt, outside any transaction.

The apps above `mailing` own those files: each registers the function that makes its kind when
it starts (requests_app/apps.py), as `devices.extensions` takes the signing panel. A maker is
idempotent: it makes the file once, keeps it, and returns the same bytes at every call."""

from collections.abc import Callable


class AttachmentRefused(Exception):
    """The file can no longer be made as the mail meant it: the mail is not sent (shown)."""


# (source) -> the file's bytes, the same at every call
AttachmentMaker = Callable[..., bytes]
_makers: dict[str, AttachmentMaker] = {}


def attachment_maker_register(kind: str, maker: AttachmentMaker) -> None:
    _makers[kind] = maker


def attachment_make(item: dict) -> bytes:
    """The bytes of an attachment named by `made_by` (its kind) and `source`."""
    return _makers[item["made_by"]](source=item["source"])
