"""Schemathesis against every operation of the OpenAPI schema, served in-process.

Each operation gets up to 25 generated requests (valid and deliberately invalid),
made as an anonymous reader, a commenter, a moderator or a caller with a forged
token, and aimed half the time at the seeded Gazette so authenticated paths do
real work. Checks: never a 5xx; a documented status answers with a body that fits
its documented schema; every 4xx is the JSON error shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from tests.security.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

SEED = 20261129
MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    get_wsgi_application(),
    config=schemathesis.Config.from_dict({"seed": SEED}),
)


def error_shape(ctx, response, case) -> None:
    """Every 4xx is ``{"error": {"code", "message"}}`` served as JSON."""
    if 400 <= response.status_code < 500:
        assert_error_shape(
            response.status_code, response.content, response.headers.get("content-type", [""])[0]
        )


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
    error_shape,
]
# First is what Hypothesis tries most: the callers that get furthest into the code.
CALLERS = ["alice", "mallory", "browser", None, "bogus"]


def _aim(case, world, data) -> None:
    """Point some valid requests at the seeded site, story and comments.

    Negative cases are left as generated: pinning ``site`` would repair the very
    field a negative case broke, and the check would then blame the server.
    """
    if case.meta is None or case.meta.generation.mode.is_negative:
        return
    if data.draw(st.booleans(), label="leave as generated"):
        return
    for container in (case.query, case.body if isinstance(case.body, dict) else None):
        if container is None:
            continue
        if "site" in container:
            container["site"] = "gazette"
        if "story" in container and isinstance(container["story"], str):
            container["story"] = "budget"
    ids = {
        "comment_id": world.comment_ids + [world.pending_id],
        "user_id": [world.alice.user_id, world.bob.user_id, world.mallory.user_id],
    }
    for name, choices in ids.items():
        if name in case.path_parameters:
            case.path_parameters[name] = data.draw(st.sampled_from(choices), label=name)


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_refuses_cleanly(case, data, world, in_process_wsgi):
    _aim(case, world, data)
    who = data.draw(st.sampled_from(CALLERS), label="caller")
    case.call_and_validate(headers=world.bearer(who), checks=CHECKS)
