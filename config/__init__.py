"""Settings, root URLs, the Celery app, WSGI/ASGI: not an app, the one package that wires the
floors together (docs/architecture.md §1). Importing the Celery app here binds `shared_task`s to it
as soon as Django loads the settings."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
