"""The letters' records, cut by job: the letter, its rows and its log (`letters`); its PDFs and
the checks of their signatures (`documents`); the rows a spreadsheet import added (`imports`). How letters travel is the
`exchange` app's."""

from requests_app.models.documents import LetterDocument, LetterVerification
from requests_app.models.imports import LetterImport
from requests_app.models.letters import CertRequest, RequestRow, Transition

__all__ = [
    "CertRequest",
    "LetterDocument",
    "LetterImport",
    "LetterVerification",
    "RequestRow",
    "Transition",
]
