"""HAProxy as the multi-node layout runs it (deploy/cluster/haproxy/): round robin over two
gunicorn nodes checked at /health/ready/, and the same nodes again as backup servers, so that
when every node's readiness fails at once (a Redis failover of a few seconds) requests still go
through instead of being refused (docs/deployment.md, "When one of them dies")."""

import shutil
import subprocess
from pathlib import Path

from tests.celery_processes import free_port

HAPROXY = """\
global
  maxconn 1000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout check 3s
  retries 2
  option redispatch
frontend portal
  bind 127.0.0.1:{port}
  default_backend nodes
backend nodes
  balance roundrobin
  option httpchk
  http-check send meth GET uri /health/ready/ hdr Host 127.0.0.1
  option allbackups
  default-server inter 2s fall 3 rise 2
  server web1 127.0.0.1:{web1} check
  server web2 127.0.0.1:{web2} check
  server web1-open 127.0.0.1:{web1} backup
  server web2-open 127.0.0.1:{web2} backup
"""


class HAProxy:
    """Debian's haproxy in front of two web nodes, on a free loopback port, its configuration
    and log in `workdir`."""

    def __init__(self, web_ports: list[int], workdir: Path):
        self.port = free_port()
        self.config = workdir / "haproxy.cfg"
        self.config.write_text(HAPROXY.format(port=self.port, web1=web_ports[0], web2=web_ports[1]))
        self.process = subprocess.Popen(
            [shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", str(self.config), "-db"],
            stdout=(workdir / "haproxy.log").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
