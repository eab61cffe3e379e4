from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("Yêu cầu chứng thực")

    def ready(self) -> None:
        # Our import jobs are parsed and saved by our tasks, which the ground floor enqueues
        # by name (requests_app/tasks.py).
        from portal.imports import import_kind_register
        from requests_app.excel.jobs import LETTER_IMPORT

        import_kind_register(
            LETTER_IMPORT,
            "requests_app.tasks.letter_import_parse_task",
            save_task="requests_app.tasks.letter_import_save_task",
        )

        # Masked values a page may reveal (docs/privacy.md §masking): privacy sits below and
        # imports none of the apps whose records hold them. A letter's contact is known by
        # the blind index of their ID number; a person is shown by the pickers and a row's
        # registry columns (Mẫu 05).
        from agencies.models import Person
        from privacy.access import Subject
        from privacy.reveal import reveal_register
        from requests_app.models import CertRequest, RequestRow

        reveal_register(
            RequestRow,
            org_path=lambda row: row.cert_request.agency.path,
            draft_author=lambda row: row.cert_request.draft_author_id,
        )
        reveal_register(
            CertRequest,
            org_path=lambda letter: letter.agency.path,
            subject=lambda letter: Subject(None, letter.contact_national_id_index or ""),
            draft_author=lambda letter: letter.draft_author_id,
        )
        reveal_register(Person, org_path=lambda person: person.organization.path)
