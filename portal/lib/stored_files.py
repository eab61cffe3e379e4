"""Files in a named storage (config/storage.py): the local folders of `make run`, or an
S3-compatible object store shared by every node (docs/deployment.md, "Object store").

- Content-addressed bytes (`content_put`, `content_read`): a file is named by its SHA-256, so
  writing it twice, from two processes or in a transaction that rolls back, leaves one file
  with the right bytes; reading checks the bytes against the name.
- Downloads (`stored_download`), handed out after the caller's permission check: a short-lived
  pre-signed URL of the store when it signs them (the bytes never pass through the web node),
  else the file streamed by the portal."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PublicLinkS3Storage(S3Storage):
    """django-storages' S3 storage whose download links name `public_endpoint_url`, the
    address browsers reach (the object store published through the proxy), while the
    portal's own calls go to `endpoint_url` on the internal network. Signing is local: the
    link's signature covers the public host, which the proxy passes on unchanged."""

    def __init__(self, *, public_endpoint_url: str = "", **options):
        self.public_endpoint_url = public_endpoint_url
        self._public_client = None
        super().__init__(**options)

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.public_endpoint_url:
            return super().url(name, parameters, expire, http_method)
        if self._public_client is None:
            self._public_client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
            )
        params = {**(parameters or {}), "Bucket": self.bucket_name}
        params["Key"] = self._normalize_name(clean_name(name))
        return self._public_client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )


class ContentMismatch(Exception):
    """The stored bytes do not hash to their name: damaged or replaced in the store."""


def content_name(sha256: str, extension: str) -> str:
    return f"{sha256[:2]}/{sha256}{extension}"


def content_put(storage: Storage, data: bytes, *, extension: str) -> str:
    """Keep `data` under its SHA-256 unless it is there already; its name."""
    name = content_name(hashlib.sha256(data).hexdigest(), extension)
    if storage.exists(name):
        if storage.size(name) == len(data):
            return name
        storage.delete(name)  # a write cut short (an object store never leaves one)
    # Two processes saving the same new name: the file system keeps the first and names the
    # second apart (an orphan with the same bytes); an object store keeps the last.
    storage.save(name, ContentFile(data))
    return name


def content_read(storage: Storage, sha256: str, *, extension: str) -> bytes:
    with storage.open(content_name(sha256, extension), "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ContentMismatch(sha256)
    return data


def presigns(storage: Storage) -> bool:
    """Whether the storage hands out signed, expiring URLs (the S3 backend does)."""
    return hasattr(storage, "bucket_name")


def stored_download(
    storage: Storage, name: str, *, file_name: str, content_type: str
) -> HttpResponse:
    """The file `name` as an attachment called `file_name`, never kept
    by a shared cache. The caller has checked that the user may have it."""
    if presigns(storage):
        url = storage.url(
            name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, file_name),
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
        )
        response = HttpResponseRedirect(url)
    else:
        response = FileResponse(
            storage.open(name, "rb"),
            as_attachment=True,
            filename=file_name,
            content_type=content_type,
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
