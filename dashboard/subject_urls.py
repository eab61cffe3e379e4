"""A person's own data and their correction requests (docs/privacy.md, "The data subject's
rights"): the person's pages (`subject`) and their agency clerk's queue (`corrections`)."""

from django.urls import include, path

from dashboard import correction_views, subject_views

subject = (
    [
        path("", subject_views.my_data, name="data"),
        path("tai-ve/json/", subject_views.export_json, name="export_json"),
        path("tai-ve/pdf/", subject_views.export_pdf, name="export_pdf"),
        path("dinh-chinh/", subject_views.correction_submit, name="correction_submit"),
    ],
    "subject",
)
corrections = (
    [
        path("", correction_views.correction_list, name="list"),
        path("<int:pk>/", correction_views.correction_detail, name="detail"),
        path("<int:pk>/dinh-chinh/", correction_views.correction_correct, name="correct"),
        path("<int:pk>/lap-mau-04/", correction_views.correction_draft_letter, name="draft_letter"),
        path("<int:pk>/tu-choi/", correction_views.correction_reject, name="reject"),
    ],
    "corrections",
)

urlpatterns = [
    path("du-lieu-cua-toi/", include(subject)),
    path("yeu-cau-dinh-chinh/", include(corrections)),
]
