"""An S3-compatible object store of the test's own on loopback: moto's server mode, as a
separate process the test can stop (docs/deployment.md, "Object store"). Its objects live in
its memory: a restarted server is empty."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3

from tests.celery_processes import free_port

ACCESS_KEY = "portal-test"
SECRET_KEY = "portal-test-secret"  # noqa: S105 - the local test server's
REGION = "us-east-1"


class S3Server:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.bucket = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.workdir / f"s3-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1)  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the S3 test server did not start") from None
                time.sleep(0.1)
        if self.bucket:  # started again: the same (empty) bucket
            self.client().create_bucket(Bucket=self.bucket)
        else:
            self.new_bucket()

    def new_bucket(self) -> str:
        self.bucket = f"portal-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=self.bucket)
        return self.bucket

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def env(self) -> dict[str, str]:
        """The portal's settings of this store (README "Configuration")."""
        return {
            "PORTAL_S3_BUCKET": self.bucket,
            "PORTAL_S3_ENDPOINT_URL": self.url,
            "PORTAL_S3_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }
