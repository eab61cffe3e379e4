"""A webhook receiver as another system would run one: a real HTTP server on loopback (a
thread of the test's process) that verifies every signature with the subscriber's secret
(the `standardwebhooks` package, as docs/webhooks.md tells receivers to), rejects a wrong one
with 401, and deduplicates by `webhook-id`.

`fail_first` answers 500 to the first n requests; `status` answers that to every request;
`delay` holds each answer that long (a slow receiver, to kill a worker in the middle)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, secret: str, *, fail_first: int = 0, status: int = 204, delay: float = 0):
        self.secret = secret
        self.fail_first = fail_first
        self.status = status
        self.delay = delay
        self.lock = threading.Lock()
        self.requests = 0
        self.rejected = 0
        self.received: list[dict] = []  # every verified body, duplicates included
        self.ids: dict[str, dict] = {}  # webhook-id → body: what the receiver keeps
        self.headers: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks?from=portal"

    def handle(self, handler, body: bytes) -> None:
        headers = dict(handler.headers.items())
        with self.lock:
            self.requests += 1
            number = self.requests
            self.headers.append(headers)
        if self.delay:
            threading.Event().wait(self.delay)
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.rejected += 1
            return self.answer(handler, 401)
        if number <= self.fail_first:
            return self.answer(handler, 500)
        if not 200 <= self.status < 300:
            return self.answer(handler, self.status)
        with self.lock:
            self.received.append(payload)
            self.ids.setdefault(headers["webhook-id"], payload)
        self.answer(handler, self.status)

    @staticmethod
    def answer(handler, status: int) -> None:
        handler.send_response(status)
        if status == 302:
            handler.send_header("Location", "http://127.0.0.1:9/elsewhere")
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def types(receiver: Receiver) -> list[str]:
    return sorted(body["type"] for body in receiver.ids.values())


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
