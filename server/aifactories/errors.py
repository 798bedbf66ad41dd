"""The project's one error hierarchy.

Every failure a user can cause is an :class:`AIFactoriesError` subclass carrying the HTTP status
it maps to and, for the command line, the exit status.  Code raises these where the problem is
found; :mod:`aifactories.http_errors` turns them into responses in one place, and the CLI turns
them into one-line messages.  Anything that is not an ``AIFactoriesError`` is a bug (HTTP 500).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_BAD_INPUT = 2


class AIFactoriesError(Exception):
    """Base class: a problem with what the user gave us, reported without a traceback."""

    status: int = 500
    exit_code: int = EXIT_BAD_INPUT
    title: str = "Error"
    #: Not logged one by one: refusals that come in floods (the metrics count them by status).
    quiet: bool = False

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle any subclass whatever its constructor's arguments: the snapshot is built in a
        child process (:func:`aifactories.snapshot.build_apart`), which sends its error back."""
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[AIFactoriesError], args: tuple[object, ...], state: dict[str, object]
) -> AIFactoriesError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


# ---- input data (files) -------------------------------------------------------------------------


class InputError(AIFactoriesError):
    """Input that cannot be read at all: a missing path, an unknown format, a syntax error."""

    status = 400
    title = "Unreadable input"


class MissingInputError(InputError):
    """A path given on the command line or in the configuration does not exist."""


class DataSyntaxError(InputError):
    """An RDF file does not parse; the message starts with ``file:line:col:``."""

    def __init__(self, path: str, line: int | None, column: int | None, detail: str) -> None:
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {detail}")
        self.path, self.line, self.column, self.detail = path, line, column, detail


class HostileInputError(InputError):
    """Input refused before parsing because it could exhaust the machine (entity expansion)."""


class ValidationFailed(AIFactoriesError):
    """The data parses but does not conform to the shapes or is OWL RL inconsistent."""

    status = 422
    exit_code = EXIT_NONCONFORMANT
    title = "Data does not conform"

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class SnapshotBuildFailed(AIFactoriesError):
    """The process building the snapshot died without an answer (killed, out of memory)."""

    title = "Snapshot build failed"


class ConfigError(AIFactoriesError):
    """A setting has a value we cannot use (bad port, bad IRI, port in use, ...)."""

    title = "Bad setting"


# ---- requests -----------------------------------------------------------------------------------


class BadRequest(AIFactoriesError):
    status = 400
    title = "Bad request"


class QuerySyntaxError(BadRequest):
    """The SPARQL query does not parse; the message carries the parser's position."""

    title = "Malformed query"


class ForbiddenQuery(BadRequest):
    """A well-formed query that this read-only, offline endpoint refuses (SERVICE, updates)."""

    title = "Query refused"


class NotFound(AIFactoriesError):
    status = 404
    title = "Not found"


class NotAcceptable(AIFactoriesError):
    status = 406
    title = "Not acceptable"


class PayloadTooLarge(AIFactoriesError):
    status = 413
    title = "Request too large"


class UnsupportedMediaType(AIFactoriesError):
    status = 415
    title = "Unsupported media type"


class TooManyRequests(AIFactoriesError):
    status = 429
    title = "Too many requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(AIFactoriesError):
    """503: the work could not be done now; the client may retry after ``retry_after`` s."""

    status = 503
    title = "Service unavailable"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class QueryTimeout(ServiceUnavailable):
    title = "Query timed out"


class StoreUnavailable(ServiceUnavailable):
    title = "Query engine unavailable"


class EngineBusy(ServiceUnavailable):
    """The embedded engine was sent as many queries as it can hold (see
    :mod:`aifactories.admission`); new ones are refused until older ones age out."""

    title = "Query engine busy"
    quiet = True
