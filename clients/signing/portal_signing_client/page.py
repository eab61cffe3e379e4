"""The confirmation page: the client's own page (its own origin, no script, strict CSP) where
the official sees what is about to be signed and types the PIN. The portal's page opens it in
a popup but can neither read nor fill it."""

from html import escape

from portal_signing_client import messages

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
)

_STYLE = """
body { font-family: "Liberation Sans", Arial, sans-serif; margin: 0; background: #f4f6f8;
  color: #1b1f24; }
main { max-width: 40rem; margin: 1.5rem auto; background: #fff; padding: 1.5rem;
  border: 1px solid #d0d7de; border-radius: 6px; }
h1 { font-size: 1.25rem; margin-top: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
dt { font-weight: bold; }
dd { margin: 0; overflow-wrap: anywhere; }
.digest { font-family: "Liberation Mono", monospace; font-size: .85rem; }
.demo { background: #b35900; color: #fff; font-weight: bold; text-align: center;
  padding: .6rem; letter-spacing: .05em; }
.error { background: #fdecea; border: 1px solid #c62828; padding: .6rem; }
.ok { background: #e8f5e9; border: 1px solid #2e7d32; padding: .6rem; }
label { display: block; font-weight: bold; margin: 1rem 0 .3rem; }
input[type=password] { font-size: 1.1rem; padding: .4rem; width: 12rem; }
.buttons { margin-top: 1rem; display: flex; gap: .8rem; }
button { font-size: 1rem; padding: .5rem 1.6rem; cursor: pointer; }
button.sign { background: #0b5cad; color: #fff; border: 1px solid #0b5cad; }
"""


def _grouped_hex(data: bytes) -> str:
    text = data.hex()
    return " ".join(text[i : i + 8] for i in range(0, len(text), 8))


def _document(title: str, body: str, *, demo: bool) -> str:
    banner = (
        '<div class="demo" role="alert">THIẾT BỊ DEMO — chữ ký chỉ dùng để thử nghiệm</div>'
        if demo
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{banner}<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def confirm_page(request, *, demo: bool, error: str | None = None) -> str:
    """The page that asks for the PIN, with `error` (already Vietnamese) above the form."""
    certificate = request.certificate
    holder = certificate.holder
    stated = holder.position or request.signer_position
    position = f"<dt>Chức vụ</dt><dd>{escape(stated)}</dd>\n" if stated else ""
    error_html = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    body = (
        "<h1>Xác nhận ký số văn bản</h1>\n"
        "<p>Cổng thông tin đề nghị ký văn bản dưới đây bằng thiết bị ký số của bạn. "
        "Chỉ nhập mã PIN nếu đúng là văn bản bạn muốn ký.</p>\n"
        "<dl>\n"
        f"<dt>Số văn bản</dt><dd>{escape(request.document_number)}</dd>\n"
        f"<dt>Trích yếu</dt><dd>{escape(request.document_title)}</dd>\n"
        f'<dt>Mã băm (SHA-256)</dt><dd class="digest">{escape(_grouped_hex(request.digest))}</dd>\n'
        f"<dt>Người ký</dt><dd>{escape(holder.name)}</dd>\n"
        f"{position}"
        f"<dt>Cơ quan</dt><dd>{escape(holder.agency)}</dd>\n"
        f"<dt>Thiết bị</dt><dd>{escape(certificate.token_label)} "
        f"(số hiệu {escape(certificate.token_serial)})</dd>\n"
        "</dl>\n"
        f"{error_html}"
        f'<form method="post" action="/v1/confirm/{escape(request.id)}" autocomplete="off">\n'
        f'<input type="hidden" name="csrf_token" value="{escape(request.csrf_token)}">\n'
        '<label for="pin">Mã PIN của thiết bị</label>\n'
        '<input type="password" id="pin" name="pin" autocomplete="off" maxlength="64" autofocus>\n'
        '<div class="buttons">\n'
        '<button type="submit" class="sign" name="action" value="sign">Ký</button>\n'
        '<button type="submit" name="action" value="cancel">Hủy</button>\n'
        "</div>\n</form>"
    )
    return _document("Xác nhận ký số", body, demo=demo)


def outcome_page(text: str, *, ok: bool, demo: bool) -> str:
    css = "ok" if ok else "error"
    body = f'<h1>Ký số văn bản</h1>\n<p class="{css}" role="status">{escape(text)}</p>'
    return _document("Ký số văn bản", body, demo=demo)


def error_text(code: str, message_key: str, retries_left: int | None, count_low: bool) -> str:
    """The Vietnamese text for a failed attempt, with what the token says about retries."""
    text = messages.message(message_key)
    if code == "pin_incorrect":
        if retries_left == 1:
            text += " " + messages.FINAL_TRY
        elif retries_left is not None:
            text += " " + messages.RETRIES_LEFT.format(n=retries_left)
        elif count_low:
            text += " " + messages.COUNT_LOW
    return text
