"""Generated requests get answers that keep the contract the OpenAPI document states."""

from __future__ import annotations

import contextlib

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlalchemy import event

from app.database import db
from tests.examples import examples
from tests.factories import CustomerFactory, VisitFactory

# Starting solver runs leaves threads behind, and signing out would end the session under
# test: both have their own tests.
SKIPPED_OPERATIONS = {("POST", "/api/v1/dispatch/runs"), ("DELETE", "/api/v1/auth/token")}
# The WSGI test client hands back bodies as sent; an HTTP client would undo the compression the
# app applies when asked, so ask for none.
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def operations(app):
    """Every documented operation but the skipped ones, the document read once a module."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED_OPERATIONS:
            found.append(operation)
    return found


# The operations are dealt into shards, so test processes share the work; together the shards
# cover every operation.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_generated_requests_get_answers_that_keep_the_documented_contract(
    operations, session, as_admin, shard
):
    """Every operation gets generated schema-valid requests; every schemathesis check holds.

    Status codes, content types, headers and bodies match the document, no 5xx, and a valid
    request is accepted unless the answer is a 422 naming a field of a rule the operation's
    422 lists in `x-rules` (rules across fields, or about stored data, that no schema states).
    """
    VisitFactory.create_batch(2)  # something for generated ids to find
    failures: list[str] = []
    dealt = [op for i, op in enumerate(operations) if i % SHARDS == shard]
    assert dealt  # every shard has operations to fuzz
    for operation in dealt:
        fuzz(operation, {**as_admin, **IDENTITY}, failures)
    assert failures == [], "\n".join(failures)


def stated_rule_fields(operation) -> frozenset[str]:
    """The fields the operation's documented 422 rules name."""
    refusal = operation.definition.raw.get("responses", {}).get("422", {})
    return frozenset(name for rule in refusal.get("x-rules", []) for name in rule["fields"])


def refused_by_a_stated_rule(response, fields: frozenset[str]) -> bool:
    """A 422 in the one error format whose every named field belongs to a documented rule.

    Customers' form pages answer the form again with its errors shown, naming no fields a
    client could read: there a 422 page stands for the rules their document lists.
    """
    if response.status_code != 422 or not fields:
        return False
    if response.headers.get("content-type", [""])[0].startswith("text/html"):
        return True
    named = set((response.json().get("errors") or {}).keys())
    return bool(named) and named <= fields


def test_only_a_refusal_naming_a_documented_rules_fields_counts_as_stated(
    client, session, as_dispatcher
):
    customer = CustomerFactory()
    lat_alone = {"customer_id": customer.id, "address": "1 Road", "lat": 31.2}
    no_address = {"customer_id": customer.id, "lat": 31.2, "lon": 121.5}
    by_rule = client.post("/api/v1/sites", json=lat_alone, headers=as_dispatcher)
    by_schema = client.post("/api/v1/sites", json=no_address, headers=as_dispatcher)
    rule_fields = frozenset({"lat", "lon"})
    assert refused_by_a_stated_rule(Response.from_any(by_rule), rule_fields)
    assert not refused_by_a_stated_rule(Response.from_any(by_schema), rule_fields)
    assert not refused_by_a_stated_rule(Response.from_any(by_rule), frozenset())


def fuzz(operation, headers, failures):
    """Send generated requests to one operation, noting every check that fails."""
    rule_fields = stated_rule_fields(operation)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples(7),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call(headers=headers)
        # Schemathesis cannot know a rule about stored data or across fields; the document
        # states those, so such a refusal is the documented answer, not a rejected valid request.
        stated = refused_by_a_stated_rule(response, rule_fields)
        waived = [positive_data_acceptance] if stated else []
        try:
            case.validate_response(response, headers=headers, excluded_checks=waived)
        except FailureGroup as group:
            failures.extend(
                f"{operation.method.upper()} {case.formatted_path}: {failure.title}: "
                f"{response.status_code} {response.text[:200]}"
                for failure in group.exceptions
            )

    call()


class CommittedWrites:
    """Counts the transactions on the app's engine that wrote rows and were committed."""

    WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def _statement(self, conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(self.WRITES):
            conn.info["wrote"] = True

    def _commit(self, conn):
        if conn.info.pop("wrote", False):
            self.count += 1

    def _rollback(self, conn):
        conn.info.pop("wrote", None)


def test_invalid_requests_are_refused_in_the_one_error_format_and_write_nothing(
    operations, session, as_admin
):
    """Every API operation gets a generated request that breaks its document (negative mode).

    It must be refused with a documented 4xx in the one error format, never a 5xx, and commit
    no write; every schemathesis check holds. One derandomized example per operation, drawn
    without shrinking or replay, keeps this to a few CPU seconds; the positive test does the rest.
    Customers' pages answer HTML forms and have their own tests (tests/customer).
    """
    VisitFactory.create_batch(2)
    failures: list[str] = []
    with CommittedWrites(db.engine) as writes:
        for operation in operations:
            if operation.path.startswith(("/api/", "/mobile/")):
                refuse(operation, {**as_admin, **IDENTITY}, writes, failures)
    assert failures == [], "\n".join(failures)


def refuse(operation, headers, writes, failures):
    """Send a generated invalid request to one operation, noting every way it was not refused."""
    name = f"{operation.method.upper()} {operation.path}"
    too_large_documented = "413" in operation.definition.raw.get("responses", {})

    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    @settings(
        max_examples=1,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        # An extra query parameter holding an empty list never reaches the wire: the request
        # sent is valid, so it is not a negative example.
        assume(not any(value == [] for value in (case.query or {}).values()))
        before = writes.count
        response = case.call(headers=headers)
        if 400 <= response.status_code < 500 and writes.count != before:
            failures.append(f"{name}: {response.status_code} after a committed write")
        # An upload larger than the documented limit is refused with the documented 413.
        waived = (
            [negative_data_rejection]
            if too_large_documented and response.status_code == 413
            else []
        )
        try:
            case.validate_response(response, headers=headers, excluded_checks=waived)
        except FailureGroup as group:
            failures.extend(
                f"{name}: {failure.title}: {response.status_code} {response.text[:200]} "
                f"(query {case.query!r}, body {str(case.body)[:200]})"
                for failure in group.exceptions
            )

    # Unsatisfiable: nothing in the operation's document can be broken (a path of ids only).
    with contextlib.suppress(Unsatisfiable):
        call()
