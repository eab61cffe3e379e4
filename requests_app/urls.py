"""Letters' URLs: drafting (clerk, head) and review/processing (province, CA) each keep their
own list so the two halves of the workflow can change independently."""

from requests_app.urls_drafting import urlpatterns as drafting
from requests_app.urls_review import urlpatterns as review

app_name = "requests_app"
urlpatterns = [*drafting, *review]
