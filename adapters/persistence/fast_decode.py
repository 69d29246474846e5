"""A faster reader of stored events for the read models: the library's mapper over orjson.

The read models decode every event of the log; the library's JSON transcoder
(the standard ``json`` module with a Python ``object_hook`` called on every
object) is the largest single cost of catching up. This mapper is the
library's own ``Mapper`` — same topics, ids, upcasting, cipher and
compressor — with one change: its transcoder parses with ``orjson`` and then
applies the library transcoder's own hook to the objects that can be
transcodings (``{"_type_": …, "_data_": …}``), so the domain events are the
same objects ``app.mapper.to_domain_event`` gives (tests/unit/adapters/test_fast_decode.py
compares them over every event type). Writing is untouched: ``encode`` is the
library's.

Most events carry their transcoded values (``timestamp``, ``occurred_at``)
at the top level only; the raw text tells how many there are, so nested
objects are walked only when some marker lies deeper. Whatever orjson
refuses or reads otherwise than ``json`` (NaN, integers beyond 64 bits,
escaped characters) is handed to the library's transcoder unchanged.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Mapper, Transcoder

_MARKER = b'"_type_"'
# Left to the library: an escape (\u…), which could spell "_type_" without the bytes showing it,
# and 19 digits in a row, which could be an integer beyond 64 bits (orjson would make it a float).
# (Found with bytes methods: a regular expression takes longer than the parsing.)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19


class OrjsonDecodingTranscoder(Transcoder):
    """Encodes with the given library transcoder; decodes the same JSON with orjson."""

    def __init__(self, library: JSONTranscoder) -> None:
        self.library = library
        self._hook = library._decode_obj  # the library's object_hook: one place decides what a marker is

    def encode(self, obj: Any) -> bytes:
        return self.library.encode(obj)

    def decode(self, data: bytes) -> Any:
        if b"\\u" in data or _LONG_NUMBER in data.translate(_DIGITS_AS_ZERO):
            return self.library.decode(data)
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self.library.decode(data)
        markers = data.count(_MARKER)
        if not markers:
            return obj  # no object has a "_type_" key: the hook would return each one as it is
        if type(obj) is dict:
            top = [key for key, value in obj.items() if type(value) is dict and "_type_" in value]
            if len(top) == markers:  # no other object, and none inside these, has a "_type_" key
                hook = self._hook
                for key in top:
                    obj[key] = hook(obj[key])
                return obj
        return self._walk(obj)

    def _walk(self, value: Any) -> Any:
        """The library's hook on every object, innermost first, as ``json`` calls its object_hook."""
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._walk(item)
            return self._hook(value)
        if type(value) is list:
            for index, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[index] = self._walk(item)
        return value


def fast_mapper(mapper: Mapper) -> Mapper:
    """The library's mapper with an orjson-decoding transcoder, or ``mapper`` itself when it
    does not use the library's JSON transcoder."""
    if type(mapper.transcoder) is not JSONTranscoder:
        return mapper
    return type(mapper)(
        transcoder=OrjsonDecodingTranscoder(mapper.transcoder), compressor=mapper.compressor, cipher=mapper.cipher
    )
