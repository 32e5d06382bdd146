"""The one root exception type, carrying where in the input the problem is.

Every error a user can cause (bad file, bad row, bad scenario) is a
:class:`DistillguardError`.  The CLI prints ``str(error)`` and exits non-zero;
it never shows a traceback for bad input.

>>> err = DistillguardError("not a timestamp", path="logs.jsonl", line=7, field="ts")
>>> str(err)
'logs.jsonl:7: field ts: not a timestamp'
"""

from __future__ import annotations

from pathlib import Path


class DistillguardError(Exception):
    """Root of every error distillguard raises on purpose.

    ``path``, ``line`` (1-based line or row number) and ``field`` say where the
    problem is; any of them may be unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        if self.field is not None:
            where += f"field {self.field}: "
        return where + self.message


class InputError(DistillguardError):
    """An input file cannot be read at all (missing, truncated, wrong encoding, columns)."""


class ScenarioError(DistillguardError):
    """A scenario YAML file is invalid."""


class CorpusError(DistillguardError):
    """The real-prompt corpus cannot be built or loaded."""
