"""The CA's side of the two-database round trip (test_edxml_two_databases.py), run as its own
process on the CA's own database: its operator returns the letter the package made, and the
status messages the CA's portal wrote for the sender are saved in a folder, as the exchange
axis would carry them. Prints what the CA's database holds of the letter, as JSON.

    python -m tests.exchange.edxml_peer OUT_DIR NOTE
"""

import json
import os
import sys
from pathlib import Path

import django


def main(out: Path, note: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    # A process of its own: the portal's modules can be read only once Django is set up.
    from django.contrib.auth import get_user_model

    from exchange.models import EdxmlMessage
    from requests_app import services
    from requests_app.models import CertRequest, LetterDocument

    letter = CertRequest.objects.get()
    signed = LetterDocument.objects.get(letter=letter, kind="signed")
    operator = get_user_model().objects.get(username="ca_operator")
    services.cert_request_return(cert_request=letter, by=operator, note=note)
    sent = EdxmlMessage.objects.filter(letter=letter, direction="sent", kind="status")
    for message in sent.order_by("pk"):
        (out / f"status-{message.status_code}.xml").write_bytes(bytes(message.content))
    letter.refresh_from_db()
    print(
        json.dumps(
            {
                "letters": CertRequest.objects.count(),
                "number": letter.number,
                "status": letter.status,
                "sha256": signed.sha256,
                "verified": signed.verifications.get().ok,
                "statuses": [m.status_code for m in sent.order_by("pk")],
                "signed": [m.parties.get("signed") for m in sent.order_by("pk")],
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
