"""Letters' URLs: drafting (clerk, head) and review/processing (province, CA) each keep their
own list so the two halves of the workflow can change independently; the flows that start from
a device keep a third."""

from requests_app.urls_devices import urlpatterns as device_flows
from requests_app.urls_drafting import urlpatterns as drafting
from requests_app.urls_review import urlpatterns as review

app_name = "requests_app"
urlpatterns = [*drafting, *review, *device_flows]
