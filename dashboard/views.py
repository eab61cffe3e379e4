from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dashboard import counts


@login_required
def dashboard(request):
    """The landing page: the counts the user's role cares about, within their scope."""
    return render(request, "dashboard/dashboard.html", counts.build(request.user))
