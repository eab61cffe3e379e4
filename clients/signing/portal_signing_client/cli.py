"""Command line: `portal-signing-client --origin https://portal.example.gov.vn`.

Every flag has an environment variable (the flag wins), so the client can be started at login
by a desktop entry or a service unit that sets only the environment.
"""

import argparse
import logging
import os
import sys
from urllib.parse import urlsplit

from portal_signing_client import CLIENT_NAME, __version__
from portal_signing_client.server import LOOPBACK, Server, SigningClient
from portal_signing_client.tokens import DEFAULT_MODULE, Tokens

log = logging.getLogger("portal_signing_client")

DEFAULT_PORT = 10555
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRUE = {"1", "true", "yes", "on"}


def normalise_origin(value: str) -> str:
    """An origin as a browser sends it in the Origin header: scheme://host[:port], lower case,
    default port left out, no path. Raises ValueError otherwise."""
    parts = urlsplit(value.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(value)
    port = parts.port
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog=CLIENT_NAME,
        description=(
            "Phần mềm ký số của cổng thông tin: chạy trên máy của người ký, chỉ nghe trên "
            "127.0.0.1, ký mã băm văn bản bằng thiết bị ký số (USB Token, PKCS#11) sau khi "
            "người ký xem văn bản và nhập mã PIN."
        ),
        epilog=(
            "Mỗi tham số có biến môi trường tương ứng (tham số dòng lệnh được ưu tiên): "
            "PORTAL_SIGNING_MODULE, PORTAL_SIGNING_ORIGINS (cách nhau bởi dấu cách hoặc dấu "
            "phẩy), PORTAL_SIGNING_PORT, PORTAL_SIGNING_HOST, PORTAL_SIGNING_TOKEN_LABEL, "
            "PORTAL_SIGNING_EXCLUDE_LABELS (cách nhau bởi dấu phẩy), PORTAL_SIGNING_DEMO. Với SoftHSM2, kho thiết bị lấy từ biến SOFTHSM2_CONF."
        ),
    )
    parser.add_argument(
        "--module",
        default=env("PORTAL_SIGNING_MODULE", DEFAULT_MODULE),
        help="đường dẫn thư viện PKCS#11 của thiết bị (mặc định: %(default)s)",
    )
    parser.add_argument(
        "--origin",
        action="append",
        default=None,
        metavar="URL",
        help="địa chỉ cổng thông tin được phép gọi, dạng https://ten-mien[:cong]; lặp lại "
        "cho nhiều địa chỉ",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(env("PORTAL_SIGNING_PORT", DEFAULT_PORT)),
        help="cổng nghe trên 127.0.0.1 (mặc định: %(default)s)",
    )
    parser.add_argument(
        "--host",
        default=env("PORTAL_SIGNING_HOST", LOOPBACK),
        help="địa chỉ nghe: chỉ chấp nhận 127.0.0.1",
    )
    parser.add_argument(
        "--token-label",
        default=env("PORTAL_SIGNING_TOKEN_LABEL") or None,
        help="chỉ dùng thiết bị có nhãn này",
    )
    parser.add_argument(
        "--exclude-label",
        action="append",
        default=None,
        metavar="L",
        help="không liệt kê thiết bị có nhãn này (thiết bị không phải của người ký); lặp lại "
        "cho nhiều nhãn",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=env("PORTAL_SIGNING_DEMO", "").strip().lower() in _TRUE,
        help="đánh dấu thiết bị là THIẾT BỊ DEMO (bản trình diễn)",
    )
    parser.add_argument(
        "--log-level",
        default=env("PORTAL_SIGNING_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="mức ghi nhật ký (mặc định: %(default)s)",
    )
    parser.add_argument("--version", action="version", version=f"{CLIENT_NAME} {__version__}")
    return parser


def parse_config(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.host != LOOPBACK:
        parser.error(
            f"chỉ được nghe trên {LOOPBACK} (máy của người ký), không được nghe trên {args.host}"
        )
    if not 1 <= args.port <= 65535:
        parser.error("cổng phải nằm trong khoảng 1–65535")
    raw = args.origin
    if raw is None:
        raw = os.environ.get("PORTAL_SIGNING_ORIGINS", "").replace(",", " ").split()
    try:
        args.origins = sorted({normalise_origin(value) for value in raw})
    except ValueError as exc:
        parser.error(f"địa chỉ cổng thông tin không hợp lệ: {exc}")
    if not args.origins:
        parser.error("cần ít nhất một địa chỉ cổng thông tin (--origin)")
    excluded = args.exclude_label
    if excluded is None:
        excluded = os.environ.get("PORTAL_SIGNING_EXCLUDE_LABELS", "").split(",")
    args.exclude_labels = frozenset(label.strip() for label in excluded if label.strip())
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_config(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        tokens = Tokens(
            args.module, token_label=args.token_label, exclude_labels=args.exclude_labels
        )
    except Exception as exc:
        print(f"Không nạp được thư viện PKCS#11 {args.module}: {exc}", file=sys.stderr)
        return 2
    app = SigningClient(tokens=tokens, origins=args.origins, port=args.port, demo=args.demo)
    try:
        server = Server(app)
    except OSError as exc:
        print(f"Không mở được cổng {LOOPBACK}:{args.port}: {exc}", file=sys.stderr)
        return 2
    log.info(
        "listening on http://%s:%s for %s (module %s%s)",
        LOOPBACK,
        args.port,
        " ".join(args.origins),
        args.module,
        ", demo" if args.demo else "",
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
