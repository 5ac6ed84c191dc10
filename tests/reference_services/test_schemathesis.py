"""A bounded Schemathesis run per service, over real sockets, against each app's own OpenAPI schema.

Inputs generated from the schema, valid (positive) and invalid (negative), must never get a 5xx
(Schemathesis' not_a_server_error check). Every call carries a real token, so it gets past authentication,
and positive chat calls use a real session of the caller, so they reach streaming and confirmation.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

MAX_EXAMPLES = 40
# The token is sent by the test itself; generated Authorization headers would only ever get 401.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
@pytest.mark.parametrize("service", ["auth", "accounting", "chat"])
def test_generated_requests_never_get_a_5xx(api, funded, service, mode):
    user = funded if service == "chat" else "admin"
    schema = schemathesis.openapi.from_url(api.url(service, "/openapi.json"), config=CONFIG, timeout=5)
    path_parameters = None
    if service == "chat" and mode is GenerationMode.POSITIVE:
        path_parameters = {"session_id": api.new_session(funded)}
        schema = schema.exclude(method="DELETE")  # keep the session for the other calls
    headers = {"Authorization": f"Bearer {api.token(user)}"}

    @given(case=schema.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def never_a_server_error(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=10)

    never_a_server_error()
