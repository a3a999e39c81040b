"""Refusals the domain gives, each with a stable code and a message a person understands."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused. `code` is stable for integrators; the message is Chinese first."""

    code = "refused"
    status = 409  # the HTTP status the API maps it to

    def __init__(self, message_zh: str, message_en: str, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409


class LimitReached(DomainError):
    """Daily cap, per-ID limit: the applicant should be told plainly and sent to the desk."""

    code = "limit_reached"
    status = 409


class VersionConflict(DomainError):
    """A case or archive record sent again under its version with different content."""

    code = "version_conflict"
    status = 409
