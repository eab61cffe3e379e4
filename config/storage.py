"""Where files are kept, read from the environment (docs/deployment.md, "Object store"):
`documents` (every stored version of a letter's or a device's PDF, by its SHA-256) and
`exports` (the files of export jobs). Local folders under var/ by default, as `make run` and a
single host want; an S3-compatible object store (MinIO, Ceph, a cloud's) when PORTAL_S3_BUCKET is
set, so that every web node and worker of a multi-node deployment reads the same files."""

from pathlib import Path

from botocore.config import Config

from portal.lib.env import env_int, env_str

FILE_SYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "portal.lib.stored_files.PublicLinkS3Storage"


def file_storages_from_env(media_root: Path, export_dir: Path) -> dict:
    bucket = env_str("PORTAL_S3_BUCKET", "")
    if not bucket:
        private = {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}
        return {
            "documents": {
                "BACKEND": FILE_SYSTEM,
                "OPTIONS": {"location": media_root / "documents", **private},
            },
            "exports": {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": export_dir, **private}},
        }
    options = {
        "bucket_name": bucket,
        "endpoint_url": env_str("PORTAL_S3_ENDPOINT_URL", "") or None,
        # Where browsers follow the download links, when not the address above.
        "public_endpoint_url": env_str("PORTAL_S3_PUBLIC_URL", ""),
        "region_name": env_str("PORTAL_S3_REGION", "us-east-1"),
        # Credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (boto3 reads them).
        "default_acl": None,  # the bucket is private; downloads go through pre-signed URLs
        # The store checks each upload against its SHA-256 and keeps it with the object.
        "object_parameters": {"ChecksumAlgorithm": "SHA256"},
        # A download link lives this long: it is handed out after the permission check.
        "querystring_expire": env_int("PORTAL_S3_URL_SECONDS", 60),
        "client_config": Config(
            # MinIO and most private stores: the bucket in the path, not a subdomain.
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            # A store that does not answer fails a request (and readiness) in seconds.
            connect_timeout=2,
            read_timeout=20,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }
    return {
        "documents": {"BACKEND": S3, "OPTIONS": {**options, "location": "documents"}},
        "exports": {"BACKEND": S3, "OPTIONS": {**options, "location": "exports"}},
    }
