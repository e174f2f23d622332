"""Generated requests, valid and invalid, never make the API answer with a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories import VisitFactory

# Starting solver runs leaves threads behind, and signing out would end the session under
# test: both have their own tests.
SKIPPED_OPERATIONS = {("POST", "/api/v1/dispatch/runs"), ("DELETE", "/api/v1/auth/token")}


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED_OPERATIONS:
            yield operation


# The operations are dealt into shards, so test processes share the work; together the shards
# cover every operation.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_generated_request_makes_the_api_fail_with_a_server_error(
    app, session, as_admin, shard
):
    """Every operation gets generated requests, valid and invalid; none may answer 5xx."""
    VisitFactory.create_batch(2)  # something for generated ids to find
    failures: list[str] = []
    dealt = [op for i, op in enumerate(operations(app)) if i % SHARDS == shard]
    assert dealt  # every shard has operations to fuzz
    for operation in dealt:
        fuzz(operation, as_admin, failures)
    assert failures == []


def fuzz(operation, headers, failures):
    """Send generated requests to one operation, noting every server error."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{operation.method.upper()} {case.formatted_path}: "
                f"{response.status_code} {response.text[:200]}"
            )

    call()
