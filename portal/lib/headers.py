"""Per-view exceptions to the portal's security headers (config/settings.py)."""

from csp.constants import SELF
from csp.decorators import csp_replace
from django.views.decorators.clickjacking import xframe_options_sameorigin


def frameable_by_the_portal(view):
    """The view may be framed by the portal's own pages (a document's print view): X-Frame-Options
    SAMEORIGIN and, since browsers follow the Content-Security-Policy over it, frame-ancestors
    'self' in the enforced and the report-only policy alike. Every other page: 'none'."""
    view = csp_replace({"frame-ancestors": [SELF]})(view)
    view = csp_replace({"frame-ancestors": [SELF]}, REPORT_ONLY=True)(view)
    return xframe_options_sameorigin(view)
