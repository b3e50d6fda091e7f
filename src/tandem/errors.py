"""Domain errors carry their HTTP status; one handler renders them as JSON or HTML."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Base of every error a user can cause; ``status`` is the HTTP answer."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            detail["field"] = self.field
        detail.update(self.extra)
        return detail


class ValidationProblem(DomainError):
    """Input that is well-formed but breaks a rule; names the field."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    """Missing, or hidden from this user: the two are indistinguishable on purpose."""

    status = 404
    code = "not_found"

    def __init__(self, what: str = "record") -> None:
        super().__init__(f"No such {what}.")


def found(record: T | None, what: str = "record") -> T:
    """The record, or 404 naming what is missing (one the caller may not see answers the same)."""
    if record is None:
        raise NotFound(what)
    return record


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    """For non-patient resources only (e.g. administration); patient data answers 404."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The record changed since the caller read it, or a uniqueness rule was broken."""

    status = 409
    code = "conflict"


class TooLarge(DomainError):
    """A request body over TANDEM_MAX_BODY_BYTES, refused before it is read."""

    status = 413
    code = "too_large"


class PreconditionFailed(DomainError):
    """A change based on a version that is no longer the current one (``If-Match`` stale)."""

    status = 412
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    """A change that does not say which version it was based on (no ``If-Match``)."""

    status = 428
    code = "precondition_required"
