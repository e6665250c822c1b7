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
        choices = [a for a in annotation_choices(field.annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if parts and any(type_tag(c) == parts[0] for c in choices):
            tag = parts.pop(0)
            choices = [c for c in choices if type_tag(c) == tag]
        model = choices[0] if len(choices) == 1 else None
    return out, model


def annotation_choices(ann: Any) -> list[Any]:
    """The types a field annotation allows (``Annotated`` unwrapped, unions flattened)."""
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return annotation_choices(typing.get_args(ann)[0])
    if origin in (Union, types.UnionType):
        return [x for a in typing.get_args(ann) for x in annotation_choices(a)]
    return [ann]


def type_tag(model: type[BaseModel]) -> Any:
    """The default of a model's ``type`` field (its tag in a discriminated union), or None."""
    f = model.model_fields.get("type")
    return f.default if f else None


def reject_bools(raw: Any, model: type[BaseModel] | None, where: str = "") -> None:
    """``ValueError`` for ``true``/``false`` where ``model`` wants a number (pydantic would read ``seed: true`` as
    1). Walks nested models and ``type``-tagged unions; other values are left to the schema."""
    if not isinstance(raw, dict) or model is None:
        return
    for key, value in raw.items():
        field = model.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            continue
        path = f"{where}.{key}" if where else key
        choices = [a for a in annotation_choices(field.annotation) if a is not type(None)]
        if isinstance(value, bool) and choices and all(a in (int, float) for a in choices):
            raise ValueError(f"{path}: expected a number, got {str(value).lower()}")
        models = [a for a in choices if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(value, dict) and models:
            tag = value.get("type")
            picked = [m for m in models if type_tag(m) == tag] or models
            reject_bools(value, picked[0], path)
