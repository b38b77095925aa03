"""What a configuration check finds: a ``Problem`` per variable, and the one-line error."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import ConfigError


@dataclass(frozen=True)
class Problem:
    """One configuration problem: the variable, and one line saying what is wrong and the fix."""

    variable: str
    message: str

    def __str__(self) -> str:
        return self.message


class Invalid(Exception):
    """A value that cannot be used; its message is the Problem's line."""


def raise_first(problems: list[Problem]) -> None:
    """Raise the first problem as a ConfigError (one line), naming the other variables."""
    if not problems:
        return
    first, rest = problems[0], problems[1:]
    more = ""
    if rest:
        others = ", ".join(dict.fromkeys(problem.variable for problem in rest))
        more = f" (also wrong: {others})"
    raise ConfigError(first.message + more)
