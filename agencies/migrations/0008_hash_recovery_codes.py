"""Recovery codes stored before they were hashed (agencies/accounts/twofactor.py) are replaced by
their keyed hash, so no recovery code stays readable in the database; the codes keep working.
A stored code is 8 characters (django-otp's random token, the demo's), a hash 16."""

import re
from base64 import b32encode

from django.conf import settings
from django.db import migrations
from django.utils.crypto import salted_hmac


def _hash(user_id: int, code: str) -> str:
    # agencies.accounts.twofactor.recovery_code_hash, frozen here as it was written
    code = re.sub(r"[\s\-]+", "", code).lower()
    mac = salted_hmac(
        "agencies.accounts.twofactor.recovery",
        f"{user_id}:{code}",
        secret=settings.SECRET_KEY,
        algorithm="sha256",
    ).digest()
    return b32encode(mac[:10]).decode("ascii").lower()


def hash_stored_codes(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.select_related("device").exclude(token__regex=r"^.{16}$"):
        token.token = _hash(token.device.user_id, token.token)
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0007_enrolment_codes_and_code_failures"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(hash_stored_codes, migrations.RunPython.noop)]
