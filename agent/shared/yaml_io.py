"""Reading YAML that people (or attackers) wrote: bounded, strict, one-line errors.

``load_yaml(path)`` refuses, each with a ``ValueError`` naming the file and the problem:

* files over ``MAX_BYTES``, and text that is not UTF-8 (UTF-16, binary);
* nesting deeper than ``MAX_DEPTH`` (PyYAML composes recursively: 5000 levels of ``[`` would overflow the stack);
* alias and merge-key expansion beyond ``MAX_NODES`` nodes (a "billion laughs" of 2 KB otherwise takes
  exponential time and memory);
* the same key twice in one mapping (YAML keeps the last silently: a second ``safety:`` block would drop the
  first's geofence);

and ``check_finite(data)`` refuses NaN and infinite numbers anywhere in the loaded data.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_NODES = 100_000


class YamlInputError(ValueError):
    """A YAML file that cannot be used; ``str(e)`` is one line."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and bounds nesting depth."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlInputError(f"nested deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):  # noqa: ANN001
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                line = key_node.start_mark.line + 1
                raise YamlInputError(f"line {line}: a mapping key must be a plain value") from None
            if key in seen:
                raise YamlInputError(f"line {key_node.start_mark.line + 1}: key {key!r} appears twice in one mapping "
                                     f"(first on line {seen[key] + 1})")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes ``node`` stands for once aliases and merges are expanded (memoised per node: linear in the file)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a cycle (recursive alias) counts once here; construction refuses it
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = min(size, MAX_NODES + 1)
    return memo[key]


def load_yaml(path: str | Path) -> Any:
    """The data of one YAML document at ``path``, or ``YamlInputError`` (a ``ValueError``) naming the problem."""
    p = Path(path)
    if p.is_dir():
        raise YamlInputError(f"{p}: is a folder, not a YAML file")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise YamlInputError(f"{p}: {size} bytes; a YAML file here is at most {MAX_BYTES} bytes")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise YamlInputError(f"{p}: not UTF-8 text (byte {e.start}: {raw[e.start:e.start + 1]!r}); save it as "
                             "UTF-8") from None
    if "\x00" in text:
        raise YamlInputError(f"{p}: binary data (a NUL byte), not YAML text")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise YamlInputError(f"expands to more than {MAX_NODES} nodes through aliases or merge keys")
        return loader.construct_document(node)
    except YamlInputError as e:
        raise YamlInputError(f"{p}: {e}") from None
    except RecursionError:
        raise YamlInputError(f"{p}: nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise YamlInputError(f"{p}: not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    finally:
        loader.dispose()


def check_finite(data: Any, where: str = "") -> None:
    """``YamlInputError`` naming the first NaN or infinite number in ``data`` (nested mappings and lists)."""
    if isinstance(data, bool):
        return
    if isinstance(data, float) and not math.isfinite(data):
        raise YamlInputError(f"{where or '<top level>'}: must be a finite number (got {data})")
    if isinstance(data, dict):
        for k, v in data.items():
            check_finite(v, f"{where}.{k}" if where else str(k))
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            check_finite(v, f"{where}[{i}]")
