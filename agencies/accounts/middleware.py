"""No page without the second factor for those who have or need one.

Runs after django-otp's OTPMiddleware (which sets `request.user.is_verified()`). A signed-in user
who has an authenticator, or must have one (agencies/accounts/twofactor.py), and whose session
is not verified yet is sent to the code page or to enrolment from every page, the admin
included; the API answers 403 in JSON. Static files, sign-out, the language switch and the
second-factor pages themselves stay reachable.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from agencies.accounts.twofactor import two_factor_enabled, two_factor_required

OPEN_PREFIXES = ("/i18n/",)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self._open(request):
            enrolled = two_factor_enabled(user)
            if enrolled or two_factor_required(user):
                return self._refuse(request, enrolled)
        return self.get_response(request)

    @staticmethod
    def _open(request) -> bool:
        path = request.path_info
        open_paths = {
            reverse("logout"),
            reverse("accounts:verify"),
            reverse("accounts:enrol"),
        }
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path in open_paths or path.startswith((static, *OPEN_PREFIXES))

    @staticmethod
    def _refuse(request, enrolled: bool):
        if request.path_info.startswith("/api/"):
            message = (
                _("Cần xác thực hai lớp: hãy nhập mã xác thực trên cổng trước khi dùng API.")
                if enrolled
                else _(
                    "Cần xác thực hai lớp: hãy đăng ký ứng dụng xác thực trên cổng trước khi dùng API."
                )
            )
            return JsonResponse({"detail": message}, status=403)
        url = reverse("accounts:verify" if enrolled else "accounts:enrol")
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)
