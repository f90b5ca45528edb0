"""Live updates for open comment frames: Server-Sent Events at ``/api/v1/live``.

``events`` turns a saved comment into a small event once its transaction commits;
``hub`` carries events to every stream of this process (Redis pub/sub across
processes when ``REDIS_URL`` is set, else a short event log in the shared cache
polled once a second); ``stream`` is the ASGI endpoint itself.
"""
