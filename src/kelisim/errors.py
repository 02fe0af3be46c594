"""Errors shown to users: one clear sentence naming what is at fault."""

from __future__ import annotations

from pathlib import Path


class KelisimError(Exception):
    """An error a user can act on; the CLI prints its message and exits non-zero."""

    exit_code = 2


class InputError(KelisimError):
    """Bad input in a file: names the file, the row (1-based, header is row 1) and the column.

    >>> str(InputError("pop.csv", 4, "count", "negative count -3"))
    'pop.csv, row 4, column count: negative count -3.'
    """

    def __init__(
        self,
        path: str | Path | None,
        row: int | None,
        column: str | None,
        message: str,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.row = row
        self.column = column
        self.message = message.rstrip(".")
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [
            part
            for part in (
                self.path,
                f"row {self.row}" if self.row is not None else None,
                f"column {self.column}" if self.column is not None else None,
            )
            if part
        ]
        prefix = ", ".join(where)
        return f"{prefix}: {_sentence(self.message)}" if prefix else _sentence(self.message)


class ArgumentError(KelisimError):
    """A bad command-line or function argument: names the argument."""

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        self.message = message.rstrip(".")
        super().__init__(f"{argument}: {_sentence(self.message)}")


def _sentence(message: str) -> str:
    """End a message with a full stop unless it already ends with ? or !."""
    return message if message.endswith(("?", "!")) else f"{message}."
