"""The root URLs: every app's pages, the API, sign-in, the admin and the health checks."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from oauth2_provider import urls as oauth2_urls

from agencies.accounts import views as account_views
from agencies.accounts.forms import SignInForm
from config import health
from dashboard import metrics, monitor_views
from dashboard import views as dashboard_views


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (print views, the admin)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# The admin names the portal, not Django ("Trang quản trị cho Django" was Django's own title).
admin.site.site_header = _("Quản trị cổng chữ ký số chuyên dùng công vụ")
admin.site.site_title = _("Quản trị cổng chữ ký số")
admin.site.index_title = _("Quản trị hệ thống")

# A database that does not answer is a 503 with Retry-After, a problem under /api/ (the rest
# Django's 500 page): docs/operations.md §5.
handler500 = "portal.error_views.server_error"
# A body Django's parser refuses is said to be the body's fault, a problem under /api/.
handler400 = "portal.error_views.bad_request"

# django-oauth-toolkit's routes the CSC API's clients need (no device grant, no introspection).
OAUTH_ROUTES = [
    route
    for route in oauth2_urls.base_urlpatterns
    if route.name in {"authorize", "token", "revoke-token"}
]

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("thong-ke/", dashboard_views.statistics_page, name="statistics"),
    path("thong-ke/bao-cao-thang/", include("dashboard.urls")),
    path("giam-sat-ky-so/", monitor_views.signing_monitor_page, name="signing_monitor"),
    path("favicon.ico", favicon),
    # For load balancers and orchestrators: no sign-in, no HTTPS redirect (docs/deployment.md).
    path("health/live/", health.liveness, name="health_live"),
    path("health/ready/", health.readiness, name="health_ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path(
        "dang-nhap/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("dang-xuat-moi-noi/", account_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tai-khoan/", include("agencies.accounts.urls")),
    path("quan-tri/", admin.site.urls),
    path("api/", include("config.api_urls")),
    # OAuth 2.0 for the CSC API's client applications (docs/remote-signing.md): authorise, token,
    # revoke, introspect; no self-service registration of applications (an administrator's)
    path("o/", include((OAUTH_ROUTES, "oauth2_provider"))),
    path("", include("remote_signing.urls")),
    path("", include("portal.urls")),
    path("", include("certificates.urls")),
    path("", include("requests_app.urls")),
    path("", include("exchange.urls")),
    path("", include("paperwork.urls")),
    path("", include("devices.urls")),
    path("", include("bulk.urls")),
    path("", include("orgmerge.urls")),
    path("", include("demand.urls")),
    path("", include("privacy.urls")),
    path("phe-duyet/", include("approvals.urls")),
    path("", include("dashboard.subject_urls")),
]
