# Production image: gunicorn serves the site (whitenoise the static files); the same image runs
# the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_VAR_DIR=/var/lib/portal
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-liberation2 libpango-1.0-0 \
      libpangoft2-1.0-0 libharfbuzz0b gettext openssl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . \
 && SECRET_KEY=build python manage.py compilemessages --ignore=.venv \
 && SECRET_KEY=build python manage.py collectstatic --noinput \
 && useradd --system --home /var/lib/portal portal \
 && mkdir -p /var/lib/portal && chown portal /var/lib/portal
USER portal
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
