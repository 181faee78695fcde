"""The few exceptions aigraph raises; their messages say what to do."""

__all__ = ["AigraphError", "BuildError", "InputError", "QueryError"]


class AigraphError(Exception):
    """Base class of every error aigraph reports to the user."""


class InputError(AigraphError):
    """Bad corpus, file or option input."""


class QueryError(AigraphError):
    """Bad or unsafe SPARQL, or an unknown named query."""


class BuildError(AigraphError):
    """The build failed."""
