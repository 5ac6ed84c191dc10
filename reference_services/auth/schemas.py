from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from reference_services.web.fields import RequestBody, Text


class LoginRequest(RequestBody):
    username: Text = Field(min_length=1, max_length=200)
    password: Text = Field(min_length=1, max_length=1000)


class NewUserRequest(RequestBody):
    username: Text = Field(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$")
    email: Text = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: Text = Field(min_length=8, max_length=200)
    role: Literal["admin", "supervisor", "enduser"]
    skip_verification: StrictBool | None = Field(default=None, alias="skipVerification")
