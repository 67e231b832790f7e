"""One exception family. The API maps each subclass to one HTTP status, so a missing thing is
a 404 and a broken rule a 409, never a 500; foreign errors are translated at the edge with
``raise ... from e``."""

from __future__ import annotations


class FourlinksError(Exception):
    """Root of every error the engine raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, message_en: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message


class NotFound(FourlinksError):
    """A referenced node does not exist."""

    code = "not_found"


class SchemaViolation(FourlinksError):
    """A write does not match graph_schema (wrong label, property type, relationship ends)."""

    code = "schema_violation"


class Conflict(FourlinksError):
    """A state transition or claim the rules forbid (already claimed, illegal transition)."""

    code = "conflict"


class StaleVersion(FourlinksError):
    """An update carried an out-of-date version (optimistic concurrency)."""

    code = "stale_version"


class ImportRejected(FourlinksError):
    """A list file had bad records; nothing of it was applied. ``report`` lists every one."""

    code = "import_rejected"

    def __init__(self, message: str, report: object, *, message_en: str | None = None) -> None:
        super().__init__(message, message_en=message_en)
        self.report = report


class StoreUnavailable(FourlinksError):
    """The configured store cannot be reached (Neo4j down, data folder unreadable)."""

    code = "store_unavailable"


class ExecutorError(FourlinksError):
    """The executor cannot run a solve's parts (unknown name, Ray missing, cluster unreachable or
    dead): the solve fails as a whole, so no round is ever written from part of its parts."""

    code = "executor_unavailable"


class InvalidInput(FourlinksError):
    """A request or file is malformed in a way the caller can fix."""

    code = "invalid_input"


class TooLarge(InvalidInput):
    """An input past a limit that keeps one request from exhausting the server: upload size,
    file count, rows, declared spreadsheet dimensions or expanded size, reading time."""

    code = "too_large"


class Unauthenticated(FourlinksError):
    """No credentials, or credentials that cannot be verified (bad signature, expired)."""

    code = "unauthenticated"


class Forbidden(FourlinksError):
    """The caller's role or scope does not allow the action (engine.access decides)."""

    code = "forbidden"
