"""msgpack-rpc as AirSim speaks it (rpclib 2.x on the server, msgpack-rpc-python on the client).

Wire format (``/work/shared/reference/airsim_api.md`` §2): a TCP stream of concatenated msgpack
objects, no length prefix.

* request ``[0, msgid, method, params]``; response ``[1, msgid, error, result]`` with ``error`` nil on
  success; notification ``[2, method, params]``.
* Errors are strings in rpclib's wording (``no_such_function`` and ``threw``, below).
* Pack with ``use_bin_type=True`` (image bytes travel as msgpack bin) and ``use_single_float=True``
  (AirSim's structs are C++ ``float``); unpack with ``raw=False``.
"""

from __future__ import annotations

from typing import Any

import msgpack

REQUEST, RESPONSE, NOTIFICATION = 0, 1, 2
DEFAULT_PORT = 41451
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a request larger than this is a protocol error


class RpcError(RuntimeError):
    """The server answered a call with an error; ``str(e)`` is the server's message."""

    def __init__(self, method: str, error: Any) -> None:
        self.method = method
        self.error = error
        super().__init__(f"{method}: {error}")


class ProtocolError(ValueError):
    """A msgpack object that is not a valid msgpack-rpc message."""


def packer() -> msgpack.Packer:
    return msgpack.Packer(use_bin_type=True, use_single_float=True, default=_default)


class UnhashableKeyMap(list):
    """A msgpack map whose keys cannot all be Python dict keys (e.g. an array as a key), kept as (key, value)
    pairs: decoding it must not fail the whole stream; a handler given one refuses it (rpclib's error)."""


def _pairs_to_map(pairs: list) -> dict | UnhashableKeyMap:
    try:
        return dict(pairs)
    except TypeError:
        return UnhashableKeyMap(pairs)


def unpacker() -> msgpack.Unpacker:
    return msgpack.Unpacker(raw=False, max_buffer_size=MAX_MESSAGE_BYTES, strict_map_key=False,
                            object_pairs_hook=_pairs_to_map)


def has_unhashable_map(obj: Any, depth: int = 0) -> bool:
    """Whether ``obj`` holds an ``UnhashableKeyMap`` anywhere (bounded by msgpack's own nesting limit)."""
    if isinstance(obj, UnhashableKeyMap):
        return True
    if depth > 64:
        return False
    if isinstance(obj, dict):
        return any(has_unhashable_map(v, depth + 1) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(has_unhashable_map(v, depth + 1) for v in obj)
    return False


def no_such_function(method: str, argc: int) -> str:
    """rpclib's reply to an unknown (method, argument count) pair."""
    return f"rpclib: server could not find function '{method}' with argument count {argc}."


def threw(method: str, argc: int, what: str) -> str:
    """rpclib's reply when a handler raised."""
    return (f"rpclib: function '{method}' (called with {argc} arg(s)) threw an exception. "
            f"The exception contained this information: {what}.")


def parse_request(msg: Any) -> tuple[int, int | None, str, list]:
    """Split a decoded message into ``(kind, msgid, method, params)``; ``msgid`` is None for notifications.

    Raises ``ProtocolError`` naming what is wrong; its ``msgid`` attribute carries the id when one
    could be read, so the caller can still answer.
    """
    if not isinstance(msg, list | tuple) or not msg:
        raise ProtocolError(f"expected a msgpack-rpc array, got {type(msg).__name__}")
    kind = msg[0]
    if kind == REQUEST:
        msgid = msg[1] if len(msg) > 1 and isinstance(msg[1], int) and not isinstance(msg[1], bool) else None
        if len(msg) != 4 or msgid is None or not isinstance(msg[2], str) or not isinstance(msg[3], list | tuple):
            err = ProtocolError("malformed request: expected [0, msgid:int, method:str, params:array], "
                                f"got {_short(msg)}")
            err.msgid = msgid  # type: ignore[attr-defined]
            raise err
        return REQUEST, msgid, msg[2], list(msg[3])
    if kind == NOTIFICATION:
        if len(msg) != 3 or not isinstance(msg[1], str) or not isinstance(msg[2], list | tuple):
            raise ProtocolError(f"malformed notification: expected [2, method:str, params:array], got {_short(msg)}")
        return NOTIFICATION, None, msg[1], list(msg[2])
    raise ProtocolError(f"unexpected message type {kind!r} (a server accepts requests 0 and notifications 2)")


def _short(x: Any, n: int = 120) -> str:
    s = repr(x)
    return s if len(s) <= n else s[: n - 3] + "..."


def _default(obj: Any) -> Any:
    """numpy scalars and arrays (a known pitfall of the official client, AirSim#3533)."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "to_msgpack"):
        return obj.to_msgpack()
    raise TypeError(f"cannot serialise {type(obj).__name__} for msgpack-rpc")
