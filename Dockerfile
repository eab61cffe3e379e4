# Production image: gunicorn serves the site (whitenoise the static files); the same image runs
# the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_VAR_DIR=/var/lib/portal
# softhsm2: the PKCS#11 module of the CA's HSM slot and the demo tokens (a network HSM's
# module replaces it, PORTAL_PKCS11_MODULE); opensc: pkcs11-tool, to inspect a token.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-liberation2 libpango-1.0-0 \
      libpangoft2-1.0-0 libharfbuzz0b gettext openssl softhsm2 opensc \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . \
 && SECRET_KEY=build python manage.py compilemessages --ignore=.venv \
 && SECRET_KEY=build python manage.py collectstatic --noinput \
 && useradd --system --home /var/lib/portal portal \
 && mkdir -p /var/lib/portal/tokens && chown -R portal /var/lib/portal \
 && chmod 700 /var/lib/portal/tokens
USER portal
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
