"""The letters' records, cut by job: the letter, its rows and its log (`letters`); its PDFs and
the checks of their signatures (`documents`); the rows a spreadsheet import added (`imports`);
the edXML messages about it (`exchange`)."""

from requests_app.models.documents import LetterDocument, LetterVerification
from requests_app.models.exchange import EdxmlMessage
from requests_app.models.imports import LetterImport
from requests_app.models.letters import CertRequest, RequestRow, Transition

__all__ = [
    "CertRequest",
    "EdxmlMessage",
    "LetterDocument",
    "LetterImport",
    "LetterVerification",
    "RequestRow",
    "Transition",
]
