"""The few exceptions aigraph raises; their messages say what to do."""

__all__ = [
    "AigraphError",
    "BuildError",
    "BuildLocked",
    "InputError",
    "PushError",
    "QueryError",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
]


class AigraphError(Exception):
    """Base class of every error aigraph reports to the user."""

    #: The CLI's exit status for this error (2 is also click's status for usage errors).
    exit_code: int = 1


class InputError(AigraphError):
    """Bad corpus, file or option input."""


class QueryError(AigraphError):
    """Bad or unsafe SPARQL, or an unknown named query."""


class QuerySyntaxError(QueryError):
    """The query text is not SPARQL; `line` and `column` (1-based) say where the parser stopped."""

    exit_code = 2

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, line, column)
        self.message, self.line, self.column = message, line, column

    def __str__(self) -> str:
        return self.message


class QueryRefused(QueryError):
    """A query that would change the store or reach outside it (update, LOAD, SERVICE, FROM elsewhere)."""


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped, or no worker was free to run it in time."""


class BuildError(AigraphError):
    """The build failed."""


class BuildLocked(BuildError):
    """Another build holds the output folder's lock."""


class PushError(AigraphError):
    """A push to a SPARQL server failed or its result could not be verified."""
