import pytest

from webhooks.services import webhook_subscriptions_changed


@pytest.fixture(autouse=True)
def _subscriptions_read_afresh():
    """What a process knows of the active subscriptions does not outlive a test."""
    webhook_subscriptions_changed()
    yield
    webhook_subscriptions_changed()
