"""What higher floors add to the device document pages (docs/architecture.md §1).

Devices sits below the signing library, so the signing panel of a Mẫu 07, 08 or 09 page (its
signatures, their verification, the desk signing button) is rendered by requests_app, which registers it
here when it starts (requests_app/apps.py); the page shows whatever was registered."""

from collections.abc import Callable

# (request, document, kind) -> HTML of a card on the document's page
DocumentPanel = Callable[[object, object, str], str]
_panels: list[DocumentPanel] = []


def document_panel_register(panel: DocumentPanel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def document_panels(request, document, kind: str) -> list[str]:
    return [panel(request, document, kind) for panel in _panels]
