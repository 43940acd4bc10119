"""Domain errors. Each carries a short title the UI shows as is."""

from __future__ import annotations


class WorkbenchError(Exception):
    """An expected failure a user can act on (bad input, missing setting, busy file).

    Parameters
    ----------
    message : str
        One or two sentences saying what went wrong and what to do.
    title : str
        A short heading for the error box.
    """

    title = "Something went wrong"

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class BadInputError(WorkbenchError):
    """Input that breaks a contract: the CLI exits 2 on it."""

    title = "Bad input"


class UnknownTableError(BadInputError):
    """Records whose table cannot be told from their keys: the caller must name the table."""

    title = "Unknown table"


class ValidationError(BadInputError):
    """A file whose records break the data contract.

    ``violations`` is a DataFrame with columns file, table, index, line, field, reason and
    record (the record's key values, e.g. ``campaign_id g-1, date 2025-03-03``).
    """

    title = "The file breaks the data contract"

    def __init__(self, message: str, violations=None, title: str | None = None) -> None:
        super().__init__(message, title)
        self.violations = violations


class WorkspaceLockedError(WorkbenchError):
    """Another process (usually the running app) holds the workspace file."""

    title = "The workspace is in use"


class ConfigError(WorkbenchError):
    """A setting is missing or wrong; the message names the variable to set."""

    title = "Configuration needed"


class NotEnoughDataError(WorkbenchError):
    """The workspace holds too little data for the requested model."""

    title = "Not enough data"


class AccountError(BadInputError):
    """No client chosen where the workspace holds several, or a client id that is not one."""

    title = "Choose a client"
