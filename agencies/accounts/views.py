"""Account pages: signing out of every session at once."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.accounts.sessions import user_sessions_end
from portal.audit import audit_record


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every session of the user (another browser, a lost phone), this one included."""
    user = request.user
    with transaction.atomic():
        logout(request)  # this session: recorded as account.logout
        ended = user_sessions_end(user=user)
        audit_record(
            actor=user, action="account.sessions_ended", obj=user, after={"sessions": ended}
        )
    messages.success(request, _("Đã đăng xuất khỏi mọi phiên đăng nhập của bạn."))
    return redirect("login")
