"""`manage.py check --deploy` is clean under the environment docker-compose gives the `web`
service, and the security settings read from the environment do what their variables say.

The environment is built as docker-compose builds it: the `env_file` (`.env.example`, as CI's
`docker-compose config` uses it) under the service's own `environment` (docker-compose.yml).
The values the README's "Deployment" section tells the operator to set replace the example's
placeholders; PORTAL_VAR_DIR, which the Dockerfile sets to a volume, points at a temporary
folder.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# What the operator sets before `docker-compose up` (README "Deployment", .env.example).
OPERATOR_SECRETS = {
    "SECRET_KEY": "k7Qw2Zr9Lp4Xv8Nc3Jm6Bt1Hy5Gd0Fs7Ae2Ui9Oo4Pl8Kj3Mn6Bv1Cx5Zq0Wr7Ty",
    "AUDIT_HMAC_KEY": "5f0c2a9e7b1d4c8e3a6f9b2d5e8c1a4f7b0d3e6a9c2f5b8e1d4a7c0f3b6e9d2a",
    "POSTGRES_PASSWORD": "mat-khau-postgres-thu-nghiem",
    "CA_KEY_PASSPHRASE": "mat-khau-ca-thu-nghiem-dai-du",
    "CA_DEVICE_KEY_PASSPHRASE": "mat-khau-thiet-bi-thu-nghiem",
    "PORTAL_TOKEN_SO_KEY": "khoa-pin-so-token-thu-nghiem-dai-du",
    "PORTAL_TOKEN_PIN_KEY": "khoa-niem-phong-pin-thu-nghiem-dai-du",
    "CA_HSM_PIN": "ma-pin-khe-hsm-ca-trien-khai",
    "CA_HSM_SO_PIN": "ma-pin-so-khe-hsm-ca-trien-khai",
    "RSSP_HSM_PIN": "ma-pin-khe-hsm-ky-so-tap-trung-trien-khai",
    "RSSP_HSM_SO_PIN": "ma-pin-so-khe-hsm-ky-so-tap-trung-trien-khai",
    "PORTAL_FIELD_KEYS": "bWEtaG9hLWR1LWxpZXUtY2Etbmhhbi10cmllbi1raGE=",
    "PORTAL_BLIND_INDEX_KEY": "khoa-chi-muc-mu-trien-khai-dai-hon-32-ky-tu",
}


def env_file_values(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file, as docker-compose reads them (comments skipped)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    """docker-compose's ${NAME}, ${NAME:-default} and ${NAME:?error} substitution."""

    def replace(match):
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        found = variables.get(name, "")
        if op == ":?" and not found:
            raise AssertionError(f"docker-compose would refuse to start: {arg}")
        return found or (arg if op == ":-" else "")

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", replace, value)


def web_service_environment(tmp_path: Path) -> dict[str, str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    web = compose["services"]["web"]
    variables = {**env_file_values(ROOT / ".env.example"), **OPERATOR_SECRETS}
    environment = dict(variables)
    for key, value in web["environment"].items():
        environment[key] = interpolate(str(value), variables)
    environment["PORTAL_VAR_DIR"] = str(tmp_path)  # the Dockerfile: a volume
    return environment


def run_manage(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh interpreter with exactly `environment` (nothing from the tests')."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_web_service_environment_passes_check_deploy_without_warnings(tmp_path):
    result = run_manage(
        web_service_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING"
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


def test_check_deploy_fails_when_hsts_is_turned_off(tmp_path):
    environment = {**web_service_environment(tmp_path), "SECURE_HSTS_SECONDS": "0"}

    result = run_manage(environment, "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W004" in output  # SECURE_HSTS_SECONDS


def test_check_deploy_fails_with_the_example_placeholder_secret_key(tmp_path):
    environment = {**web_service_environment(tmp_path), "SECRET_KEY": "change-me"}

    result = run_manage(environment, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr  # a weak SECRET_KEY


def test_check_deploy_rejects_the_file_key_store_and_a_development_pin(tmp_path):
    environment = {
        **web_service_environment(tmp_path),
        "CA_KEY_STORE": "file",
        "CA_HSM_PIN": "DEV-ONLY-ca-hsm-user-pin",
    }

    result = run_manage(environment, "check", "--deploy")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "certificates.E009" in output  # CA_KEY_STORE=file
    assert "certificates.E010" in output  # the development user PIN


def test_check_deploy_refuses_missing_or_malformed_keys_of_the_personal_data(tmp_path):
    """.env.example leaves CA_ALLOW_DEV_PASSPHRASE off: no development key stands in."""
    environment = {
        **web_service_environment(tmp_path),
        "PORTAL_FIELD_KEYS": "",
        "PORTAL_BLIND_INDEX_KEY": "",
    }
    assert environment["CA_ALLOW_DEV_PASSPHRASE"] == "0"

    result = run_manage(environment, "check", "--deploy")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "portal.E020" in output and "portal.E023" in output  # no keys
    environment |= {
        "PORTAL_FIELD_KEYS": "khong-phai-khoa-fernet",
        "PORTAL_BLIND_INDEX_KEY": OPERATOR_SECRETS["PORTAL_BLIND_INDEX_KEY"],
    }
    result = run_manage(environment, "check", "--deploy")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "portal.E022" in output and "malformed key" in output
    assert "portal.E023" not in output


HEADERS_OF_AN_API_ANSWER = """
import json
import django
django.setup()
from django.test import Client
response = Client().get("/api/schema/")  # no database, no template, no static file
print(json.dumps({"status": response.status_code, **dict(response.headers)}))
"""


def headers_under(environment: dict[str, str], tmp_path: Path) -> dict:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": OPERATOR_SECRETS["SECRET_KEY"],
        "ALLOWED_HOSTS": "testserver",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", HEADERS_OF_AN_API_ANSWER],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("switch", ["0", "1"])
def test_csp_report_only_switches_the_policy_between_enforced_and_report_only(tmp_path, switch):
    headers = headers_under({"CSP_REPORT_ONLY": switch}, tmp_path)

    sent, absent = "Content-Security-Policy", "Content-Security-Policy-Report-Only"
    if switch == "1":
        sent, absent = absent, sent
    assert "script-src 'self'" in headers[sent]
    assert absent not in headers


def test_behind_a_tls_proxy_plain_http_is_redirected_to_https(tmp_path):
    headers = headers_under({"BEHIND_TLS_PROXY": "1"}, tmp_path)

    assert headers["status"] == 301
    assert headers["Location"] == "https://testserver/api/schema/"
