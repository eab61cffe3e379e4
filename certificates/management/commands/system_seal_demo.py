"""The demo's system certificate on its SoftHSM2 token (certificates/services/system_seal.py):

manage.py system_seal_demo         # make it when missing; print the settings that name it
manage.py system_seal_demo --env   # the same as `export NAME=value` lines for a shell's eval

`make run` evaluates the second before starting the portal, so that the demo's PDF copy of a
person's own data is sealed (docs/privacy.md §5). Never for production: the demo PIN is public.
"""

import shlex

from django.core.management.base import BaseCommand

from certificates.services.system_seal import system_seal_demo_ensure


class Command(BaseCommand):
    help = "Tạo chứng thư hệ thống của bản demo trên thiết bị SoftHSM2 và in các biến cấu hình."

    def add_arguments(self, parser):
        parser.add_argument("--env", action="store_true", help="In dạng export TÊN=giá trị.")

    def handle(self, *args, env: bool = False, **options):
        for name, value in system_seal_demo_ensure().items():
            if env:
                self.stdout.write(f"export {name}={shlex.quote(value)}")
            else:
                self.stdout.write(f"{name}={value}")
