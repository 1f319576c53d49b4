"""One error base class, caught once at the top (cli.main), rendered as one line, exit code 2."""

from __future__ import annotations


class MlwardenError(Exception):
    """Base of every error mlwarden reports to a user. ``str(err)`` is a complete one-line diagnostic."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class UsageError(MlwardenError):
    """Bad command line, option value or configuration."""


class ConfigError(UsageError):
    """Invalid mlwarden configuration (unknown key, wrong type)."""


class InputError(MlwardenError):
    """A file could not be read or parsed well enough to check it at all."""


class NetworkError(MlwardenError):
    """A network service the user asked for could not be used (never silently treated as clean)."""
