from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """How letters travel (docs/exchange.md, docs/mail.md): edXML packages and status
    messages, and the mail of an issued letter to the receiving office. It sits above the
    letters and reads and moves them through their services; the letters call it back
    through the hooks it registers here (requests_app/extensions.py)."""

    name = "exchange"
    verbose_name = _("Liên thông văn bản")

    def ready(self) -> None:
        from exchange.edxml.outbox import status_after_move
        from exchange.querysets import letter_page_facts
        from exchange.services.mail import LETTER_DOCX, letter_mail_docx_make, letter_mail_queue
        from exchange.views.letter_panel import letter_panel
        from mailing.attachments import attachment_maker_register
        from requests_app import extensions

        # A letter that came as an edXML package tells its sender of its moves, in the
        # move's transaction.
        extensions.moved_register(status_after_move)
        # An issued letter's signed version is mailed to the receiving office, written in
        # the transaction that stores it and sent after the commit.
        extensions.arrived_register(letter_mail_queue)
        # The letter's page: its package, the status messages and the mails.
        extensions.page_facts_register(letter_page_facts)
        extensions.letter_panel_register(letter_panel)
        # The issued letter's Word file, made by the mail worker when it sends: mailing sits
        # below the letters.
        attachment_maker_register(LETTER_DOCX, letter_mail_docx_make)
