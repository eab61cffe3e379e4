"""kombu's Redis transports (on its own, behind Sentinel), with one fault of theirs fixed: a
worker holding an unacknowledged task when Redis goes away must not exit (docs/deployment.md,
"A broker outage").

When the consumer loses Redis, Celery collects the broken connection, which detaches kombu's
transport from it, then closes it; closing the channel again restores its unacknowledged
messages and acknowledging a task that ends meanwhile removes its message, and both ask the
detached transport for Redis's address: an AttributeError, which Celery does not take for a
connection error, so the worker stopped. Here that request is a connection error, which
Celery logs and rides out: the message stays in Redis's index of unacknowledged messages,
delivered again after the visibility timeout, and the database holds the work (the sweeps)."""

from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError


class _RidingOut:
    def _connparams(self, asynchronous=False):
        if getattr(self.connection, "client", None) is None:
            raise RedisConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Channel(_RidingOut, redis.Channel):
    pass


class SentinelChannel(_RidingOut, redis.SentinelChannel):
    pass


class Transport(redis.Transport):
    Channel = Channel


class SentinelTransport(redis.SentinelTransport):
    Channel = SentinelChannel
