"""How `tandem --help` names things: `USERNAME`, `--port INTEGER`, a flag with no type.

Typer's own rendering shows every flag with a type (`--help <bool>`) and a required argument
in braces (`{username}`). Every `tandem` app is a `TandemTyper`, whose commands give their
parameters the plain names below when the help is drawn; parsing is Typer's, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

F = TypeVar("F", bound=Callable[..., Any])

_TYPE_NAMES = {
    str: "TEXT",
    int: "INTEGER",
    float: "NUMBER",
    bool: "BOOLEAN",
}


def _choices(param: TyperArgument | TyperOption) -> str | None:
    desc = param.type_descriptor
    if not desc.is_choice or desc.choices is None:
        return None
    return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"


def _type_name(param: TyperArgument | TyperOption) -> str:
    desc = param.type_descriptor
    if desc.is_datetime:
        return "DATE"
    if desc.is_path:
        return "PATH"
    annotation = desc.annotation
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", "VALUE").upper())


class PlainOption(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        if self.is_flag or self.count:
            return None
        return _choices(self) or _type_name(self)


class PlainArgument(TyperArgument):
    @property
    def display_name_raw(self) -> str:
        return self.metavar or (self.name or "").upper()

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: Any) -> str | None:
        return _choices(self)


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = PlainOption
        elif type(param) is TyperArgument:
            param.__class__ = PlainArgument
    return params


class PlainCommand(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class PlainGroup(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class TandemTyper(typer.Typer):
    """A Typer app whose help names parameters plainly (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", PlainGroup)
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("add_completion", False)
        # An unexpected error (a bug) still shows its traceback, without every local variable.
        kwargs.setdefault("pretty_exceptions_show_locals", False)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        kwargs.setdefault("cls", PlainCommand)
        decorate: Callable[[F], F] = super().command(*args, **kwargs)
        return decorate
