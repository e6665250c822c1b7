"""Pydantic validation errors as one line a user can act on: the field's path, the problem, the value given, and
what is allowed (keys, union types)."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel, ValidationError


def describe_error(e: ValidationError, root: type[BaseModel] | None = None) -> str:
    """The first validation error as ``field.path: problem (got value)``; for an unknown key, the keys allowed
    there; for an unknown ``type`` in a discriminated union, the allowed types. ``root``: the model that raised it
    (its field names resolve the path through nested models and union tags)."""
    err = e.errors(include_url=False)[0]
    kind, loc = err["type"], err["loc"]
    field = ".".join(str(x) for x in _model_path(loc, root)[0]) or "<top level>"
    if kind == "extra_forbidden":
        owner = _model_path(loc[:-1], root)[1]
        allowed = ", ".join(sorted(owner.model_fields)) if owner is not None else "?"
        return f"{field}: unknown key; allowed keys here: {allowed}"
    if kind == "missing":
        return f"{field}: required field is missing"
    ctx = err.get("ctx", {})
    if kind == "union_tag_invalid":
        return f"{field}.type: unknown type {ctx.get('tag')!r}; allowed: {ctx.get('expected_tags')}"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    if field == "<top level>" and kind == "value_error":  # a model-level check: its message names the fields
        return msg
    return f"{field}: {msg}{shown}"


def _model_path(loc: tuple, root: type[BaseModel] | None) -> tuple[list[Any], type[BaseModel] | None]:
    """Strip the union tags pydantic inserts into ``loc`` and find the model owning the last key."""
    model: type[BaseModel] | None = root
    out: list[Any] = []
    parts = list(loc)
    while parts:
        key = parts.pop(0)
        out.append(key)
        field = model.model_fields.get(key) if model is not None and isinstance(key, str) else None
        if field is None:
            return out, None
        choices = [a for a in _flatten(field.annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if parts and any(_tag_of(c) == parts[0] for c in choices):
            tag = parts.pop(0)
            choices = [c for c in choices if _tag_of(c) == tag]
        model = choices[0] if len(choices) == 1 else None
    return out, model


def _flatten(ann: Any) -> list[Any]:
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _flatten(typing.get_args(ann)[0])
    if origin in (Union, types.UnionType):
        return [x for a in typing.get_args(ann) for x in _flatten(a)]
    return [ann]


def _tag_of(model: type[BaseModel]) -> Any:
    f = model.model_fields.get("type")
    return f.default if f else None
