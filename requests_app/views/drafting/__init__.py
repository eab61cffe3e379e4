"""The drafting half of a letter's life, for the agency clerk (and what the agency head sees
of it): the letters list, a new letter, the draft editor with inline row editing (htmx) and
pickers, the Excel import (parsed by the worker, then previewed), and the Excel export.

Views stay thin: forms parse, `requests_app.services` write (checking rights and rules), the
templates render. Out of scope is 404 (`visible_to`), in scope but not allowed is 403
(`permissions.require`); a refused operation is an inline error or a message, never an error
page. The htmx endpoints also work as plain POSTs, so the basic editor works without JS.

`letters` (list, new letter), `editor` (section 1, submission), `rows`, `pickers`,
`spreadsheets` (Excel import and export) share `common`; cells come from `requests_app.cells`.
"""

from requests_app.views.drafting.editor import cert_request_edit
from requests_app.views.drafting.letters import cert_request_create, cert_request_list
from requests_app.views.drafting.pickers import pick
from requests_app.views.drafting.rows import row_add, row_delete, row_edit, row_show
from requests_app.views.drafting.spreadsheets import (
    excel_export,
    excel_export_full,
    excel_import,
    excel_import_confirm,
    excel_import_discard,
    excel_import_job,
    excel_template,
)

__all__ = [
    "cert_request_create",
    "cert_request_edit",
    "cert_request_list",
    "excel_export",
    "excel_export_full",
    "excel_import",
    "excel_import_confirm",
    "excel_import_discard",
    "excel_import_job",
    "excel_template",
    "pick",
    "row_add",
    "row_delete",
    "row_edit",
    "row_show",
]
