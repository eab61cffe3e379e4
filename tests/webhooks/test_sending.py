"""Posting one webhook (webhooks/sending.py): a URL the portal cannot post to is a refusal,
never an exception; the address check sees through IPv6 forms that embed an IPv4 address; a
receiver that drips its answer byte by byte fails at the timeout, not at a timeout per read."""

import socket
import threading
import time

import pytest

from webhooks.sending import Poster, RefusedTarget, address_allowed, check_url


@pytest.mark.parametrize("url", ["http://host.gov.vn:99999/x", "http://host.gov.vn:abc/x"])
def test_a_url_with_an_impossible_port_is_refused_not_raised(url):
    with pytest.raises(RefusedTarget):
        check_url(url)
    outcome = Poster(timeout=1, allow_private=True).post(url, b"{}", {})
    assert not outcome.ok and outcome.status_code is None
    assert "port" in outcome.error


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a01:203",  # NAT64 of 10.1.2.3
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:10.0.0.1",  # IPv4-mapped
    ],
)
def test_an_ipv6_address_embedding_a_private_ipv4_one_is_refused(address):
    assert not address_allowed(address, allow_private=False)


def test_an_ipv6_address_embedding_a_public_ipv4_one_is_allowed():
    assert address_allowed("64:ff9b::cb71:8301", allow_private=False)  # 203.113.131.1
    assert address_allowed("2002:cb71:8301::1", allow_private=False)


class _Dripper:
    """A receiver that answers one byte at a time, each well within the timeout."""

    def __init__(self, pause: float, total: float):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.pause, self.total = pause, total
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks"

    def _serve(self):
        connection, _ = self.server.accept()
        with connection:
            connection.recv(65536)
            ends = time.monotonic() + self.total
            try:
                while time.monotonic() < ends:
                    connection.sendall(b" ")
                    time.sleep(self.pause)
            except OSError:
                pass


def test_a_receiver_dripping_its_answer_fails_at_the_timeout_for_the_whole_post():
    dripper = _Dripper(pause=0.2, total=6)
    started = time.monotonic()
    outcome = Poster(timeout=1, allow_private=True).post(dripper.url, b"{}", {})
    took = time.monotonic() - started
    assert not outcome.ok and "timed out" in outcome.error
    assert took < 4, f"the timeout is per post, not per read ({took:.1f} s)"
    dripper.server.close()


class _Listener:
    """A TCP listener on loopback that keeps what each connection sent before it closed."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, host: str) -> str:
        return f"http://{host}:{self.server.getsockname()[1]}/hooks"

    def _serve(self):
        connection, _ = self.server.accept()
        with connection:
            connection.settimeout(3)
            data = b""
            try:
                while chunk := connection.recv(65536):
                    data += chunk
                    if b"\r\n\r\n" in data:
                        connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                        break
            except OSError:
                pass
            self.received.append(data)


@pytest.mark.parametrize("allow_private", [False, True])
def test_the_peer_is_checked_once_connected_whatever_the_name_looked_like(
    allow_private, monkeypatch
):
    """A public-looking name whose lookup gives loopback (DNS rebinding) is refused on the
    address the socket is connected to, before a byte is sent; the same post with private
    addresses allowed goes through, so the refusal is that check's."""
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "qlvb.example.gov.vn":
            host = "127.0.0.1"
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    listener = _Listener()
    outcome = Poster(timeout=2, allow_private=allow_private).post(
        listener.url("qlvb.example.gov.vn"), b'{"a":1}', {}
    )
    listener.thread.join(timeout=5)
    listener.server.close()
    if allow_private:
        assert outcome.ok and outcome.status_code == 204
        assert listener.received[0].startswith(b"POST /hooks HTTP/1.1")
    else:
        assert not outcome.ok and outcome.status_code is None
        assert outcome.error == "private or loopback address refused: 127.0.0.1"
        assert listener.received == [b""]
