"""URLs of the review half: the letter's read page, workflow actions, per-row decisions,
processing progress, the two work queues and the notifications page."""

from django.urls import path

from requests_app.views import review

urlpatterns = [
    path("van-ban/<int:pk>/", review.cert_request_detail, name="detail"),
    path("van-ban/<int:pk>/thao-tac/<slug:action>/", review.cert_request_action, name="action"),
    path("van-ban/<int:pk>/dong/<int:row_pk>/quyet-dinh/", review.row_decide, name="row_decide"),
    path("van-ban/<int:pk>/tien-do/", review.cert_request_progress, name="progress"),
    path("so-khcn/hop-thu/", review.province_inbox, name="province_inbox"),
    path("ca/hang-doi/", review.ca_queue, name="ca_queue"),
    path("thong-bao/", review.notification_list, name="notifications"),
    path("thong-bao/da-doc/", review.notification_read, name="notifications_read_all"),
    path("thong-bao/<int:pk>/da-doc/", review.notification_read, name="notification_read"),
]
