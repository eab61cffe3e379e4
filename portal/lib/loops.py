"""Code that runs its own asyncio loop (`asyncio.run`: pyHanko's synchronous API, the health
checks of config/health.py) cannot start it in a thread where a loop is already running (an ASGI
server's, a test browser's). Such a call is run in a short-lived thread of its own; everywhere
else it runs as it is."""

import asyncio
from concurrent.futures import ThreadPoolExecutor


def outside_event_loop(call):
    """`call()`, in another thread when this one runs an event loop. `call` must not use the
    database: the other thread would have its own connection."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def run_outside_event_loop(coroutine):
    """`asyncio.run(coroutine)`, in another thread when this one runs an event loop (pyHanko's
    asynchronous API). The coroutine must not use the database, as for `outside_event_loop`."""
    return outside_event_loop(lambda: asyncio.run(coroutine))
