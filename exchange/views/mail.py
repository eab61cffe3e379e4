"""The e-mails of an issued letter on its page (docs/mail.md): sent, failing and to be tried
again, or not sent, with "Gửi lại" for a clerk of the agency or an administrator."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exchange import services
from requests_app.views.detail import visible_letter


@login_required
@require_POST
def letter_mail_resend(request, pk: int, mail_pk: int):
    cert_request = visible_letter(request, pk)
    if services.letter_mail_resend(cert_request=cert_request, mail_id=mail_pk, by=request.user):
        messages.success(request, _("Đã đưa thư vào hàng đợi gửi lại."))
    else:
        messages.info(request, _("Thư đang chờ gửi: không cần gửi lại."))
    return redirect("requests_app:detail", pk=cert_request.pk)
