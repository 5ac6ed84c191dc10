"""Field types for request bodies: strict (no coercion) and storable."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr


def is_storable_text(value: str) -> bool:
    # JSON may carry lone surrogates ("\ud800"); SQLite and the SSE stream can only take real text.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utf8_encodable(value: str) -> str:
    if not is_storable_text(value):
        raise ValueError("must be valid Unicode text")
    return value


Text = Annotated[StrictStr, AfterValidator(_utf8_encodable)]

# The contract gives user and model ids no type: a string, or an integer from a SQL-backed deployment.
OpaqueId = Annotated[Text, Field(min_length=1, max_length=200)] | StrictInt


class RequestBody(BaseModel):
    """Request bodies use the contract's camelCase names and ignore fields they do not know."""

    model_config = ConfigDict(populate_by_name=False, extra="ignore")
