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


def describe(exc: BaseException) -> str:
    """What was wrong with a file, in a few words, from the exception its reader raised."""
    if isinstance(exc, MlwardenError):
        text = str(exc)
        return text.split(": ", 1)[1] if exc.path and text.startswith(f"{exc.path}: ") else text
    if isinstance(exc, RecursionError):
        return "too deeply nested to read"
    if isinstance(exc, MemoryError):
        return "too large to read within the memory limit"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or type(exc).__name__}"
    if isinstance(exc, ValueError) and "digits" in str(exc) and "integer" in str(exc):
        return "holds an integer with too many digits"
    msg = " ".join(str(exc).split())[:200]
    return f"cannot parse ({type(exc).__name__}{': ' + msg if msg else ''})"
