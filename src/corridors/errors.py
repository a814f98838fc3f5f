"""Errors a user can cause, each with the exit code the command line returns.

The command line turns every :class:`CorridorsError` into one line on standard error and
exits with :attr:`CorridorsError.exit_code`; anything else is a bug and keeps its traceback.

=====  ==========================================================
code   meaning
=====  ==========================================================
2      usage: a bad option value or an impossible request
3      unknown (or ambiguous) place, crossing or edge name
4      no route between the two places under the restrictions
5      bad data: a geodata file is missing, malformed or invalid
=====  ==========================================================
"""

from __future__ import annotations


class CorridorsError(Exception):
    """Base class of the errors a user can cause.

    Parameters
    ----------
    message
        One line that says what is wrong and, where possible, what to do.

    """

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CorridorsError, ValueError):
    """A request the model cannot answer as asked (bad option value, bad file); also a ``ValueError``."""

    exit_code = 2


class UnknownPlaceError(CorridorsError, LookupError):
    """A name that matches no place, crossing or edge, or matches several; also a ``LookupError``.

    Parameters
    ----------
    message
        What was not found.
    suggestions
        The closest known names, best first.

    """

    exit_code = 3

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        self.suggestions = list(suggestions or [])
        if self.suggestions:
            message = f"{message}; did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)


class NoRouteError(CorridorsError, LookupError):
    """No path joins the origin and the destination under the given restrictions; also a ``LookupError``."""

    exit_code = 4


class DataError(CorridorsError, ValueError):
    """A geodata file is missing, cannot be parsed, or fails validation; also a ``ValueError``."""

    exit_code = 5
