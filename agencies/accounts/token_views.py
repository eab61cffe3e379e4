"""The user's API tokens page (under Tài khoản): create one after typing the password again
(the token is shown once), list them, revoke one (agencies/accounts/tokens.py)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from agencies.accounts.reauth import ReauthForm
from agencies.accounts.tokens import MAX_DAYS, api_token_create, api_token_revoke
from agencies.models import ApiToken
from portal.errors import DomainError


class TokenCreateForm(ReauthForm):
    name = forms.CharField(label=gettext_lazy("Tên khóa (hệ thống sẽ dùng)"), max_length=100)
    days = forms.IntegerField(
        label=gettext_lazy("Số ngày hiệu lực"), min_value=1, max_value=MAX_DAYS, initial=90
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = TokenCreateForm(request.POST or None)
    token = None
    if request.method == "POST" and form.is_valid():
        try:
            form.reauth_verify(request, purpose="api_token.create")
            _row, token = api_token_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            form = TokenCreateForm()
    tokens = ApiToken.objects.filter(owner=request.user).order_by("-created_at", "-pk")
    return render(
        request,
        "agencies/accounts/api_tokens.html",
        {
            "form": form,
            "token": token,
            "tokens": tokens,
            "max_days": MAX_DAYS,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def api_token_revoke_view(request, pk: int):
    token = get_object_or_404(ApiToken.objects.filter(owner=request.user), pk=pk)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Đã thu hồi khóa API “%(name)s”.") % {"name": token.name})
    return redirect("accounts:api_tokens")
