from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from portal import dashboard as dashboard_data


@login_required
def dashboard(request):
    """The landing page: the counts the user's role cares about, within their scope."""
    return render(request, "portal/dashboard.html", dashboard_data.build(request.user))
