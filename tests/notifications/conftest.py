from tests.webhooks.conftest import worker  # noqa: F401 - the same real background workers
