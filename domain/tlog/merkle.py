"""The verifiable history's tree math: RFC 6962 / RFC 9162 Merkle trees.

Every stored event becomes one leaf of an append-only Merkle tree, so that a
signed root (a checkpoint) commits to the whole history up to its size and
anyone holding two checkpoints can be shown, with a handful of hashes, that
the later one extends the earlier one rather than rewriting it.

Hashing (RFC 9162 §2.1.1): a leaf hash is ``SHA-256(0x00 || leaf data)``, an
interior node ``SHA-256(0x01 || left || right)``, the root of no leaves
``SHA-256("")``. The prefixes keep a leaf from ever passing for a node.

Leaf data (format 1) — a public format: auditors recompute leaf hashes from it
with no other knowledge of the service, so it never changes meaning; a new
layout gets a new first byte.

    u8     LEAF_FORMAT (= 1)
    u16-BE length ‖ application name, UTF-8
    16     originator id (the event's aggregate UUID, UUID.bytes)
    u64-BE originator version
    u16-BE length ‖ topic, UTF-8
    u32-BE length ‖ state (the stored event's bytes, as stored)

Integers are big-endian and unsigned; every variable part is length-prefixed
and nothing follows the state, so one byte string decodes to exactly one
event and no two events share an encoding.

Storage: a node ``(level, index)`` is the complete subtree of ``2**level``
leaves starting at leaf ``index * 2**level``; level 0 holds leaf hashes.
Appending a leaf completes a few such nodes (``Frontier.append``), which the
store keeps; proofs then read the few stored nodes they need and fold them,
instead of rehashing leaves.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Collection, Mapping, Sequence
from uuid import UUID

__all__ = [
    "LEAF_FORMAT",
    "EMPTY_ROOT",
    "NodeReader",
    "Frontier",
    "leaf_data",
    "parse_leaf_data",
    "leaf_hash",
    "node_hash",
    "frontier_nodes",
    "subtree_nodes",
    "fold",
    "inclusion_ranges",
    "consistency_ranges",
    "inclusion_proof",
    "consistency_proof",
    "root_at",
]

LEAF_FORMAT = 1
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
NodeReader = Callable[[Collection[Node]], Mapping[Node, bytes]]

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_VERSION = struct.Struct(">Q")
_U16_MAX = 0xFFFF
_U32_MAX = 0xFFFFFFFF
_U64_MAX = 0xFFFFFFFFFFFFFFFF


def leaf_data(application: str, originator_id: UUID, originator_version: int, topic: str, state: bytes) -> bytes:
    app = application.encode("utf-8")
    top = topic.encode("utf-8")
    if len(app) > _U16_MAX or len(top) > _U16_MAX:
        raise ValueError("application name and topic must each encode to at most 65535 bytes")
    if len(state) > _U32_MAX:
        raise ValueError("an event's state must be under 4 GiB")
    if not 0 <= originator_version <= _U64_MAX:
        raise ValueError(f"originator version {originator_version} is not an unsigned 64-bit integer")
    return b"".join(
        (
            bytes((LEAF_FORMAT,)),
            _U16.pack(len(app)),
            app,
            originator_id.bytes,
            _VERSION.pack(originator_version),
            _U16.pack(len(top)),
            top,
            _U32.pack(len(state)),
            bytes(state),
        )
    )


def parse_leaf_data(data: bytes) -> tuple[str, UUID, int, str, bytes]:
    """Strict inverse of ``leaf_data``: anything it would not have written is refused."""
    view = memoryview(data)
    if len(view) < 1 or view[0] != LEAF_FORMAT:
        raise ValueError("leaf data does not start with leaf format 1")
    offset = 1
    app, offset = _prefixed(view, offset, _U16, "application name")
    if offset + 24 > len(view):
        raise ValueError("leaf data ends inside the originator id or version")
    originator_id = UUID(bytes=bytes(view[offset : offset + 16]))
    (version,) = _VERSION.unpack_from(view, offset + 16)
    topic, offset = _prefixed(view, offset + 24, _U16, "topic")
    state, offset = _prefixed(view, offset, _U32, "state")
    if offset != len(view):
        raise ValueError(f"{len(view) - offset} bytes follow the state in leaf data")
    try:
        return app.decode("utf-8"), originator_id, version, topic.decode("utf-8"), state
    except UnicodeDecodeError as error:
        raise ValueError(f"leaf data has a name that is not UTF-8: {error}") from None


def _prefixed(view: memoryview, offset: int, prefix: struct.Struct, what: str) -> tuple[bytes, int]:
    if offset + prefix.size > len(view):
        raise ValueError(f"leaf data ends before the length of its {what}")
    (length,) = prefix.unpack_from(view, offset)
    start = offset + prefix.size
    if start + length > len(view):
        raise ValueError(f"leaf data ends inside its {what}")
    return bytes(view[start : start + length]), start + length


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def frontier_nodes(size: int) -> list[Node]:
    if size < 0:
        raise ValueError(f"a tree size cannot be negative ({size})")
    nodes = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


class Frontier:
    """The compact range [0, size): one hash per set bit of ``size``.

    That is all an append needs, so the writer keeps O(log n) hashes in hand
    and the store receives every node the moment it becomes complete.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        expected = len(frontier_nodes(size))
        if len(hashes) != expected:
            raise ValueError(f"a frontier of size {size} has {expected} hashes, not {len(hashes)}")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        index = self.size
        completed = [(0, index, leaf)]
        current = leaf
        level = 0
        # Each trailing one bit of the old size is a subtree of the new leaf's
        # height waiting on its left: merge until the first zero bit.
        while index >> level & 1:
            current = node_hash(self.hashes.pop(), current)
            level += 1
            completed.append((level, index >> level, current))
        self.hashes.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT


def subtree_nodes(start: int, end: int) -> list[Node]:
    """Stored nodes whose right fold is MTH(D[start:end]).

    Precondition: ``start`` is a multiple of the largest power of two not
    above ``end - start``. The ranges proofs ask for, ``[k*2**j, min((k+1)*2**j,
    n))``, always are; an arbitrary range is not, and is refused, because its
    tree shape would not be the one RFC 9162 hashes.
    """
    width = end - start
    if start < 0 or width <= 0:
        raise ValueError(f"[{start}, {end}) is not a non-empty range of leaves")
    if start % (1 << (width.bit_length() - 1)):
        raise ValueError(f"[{start}, {end}) is not aligned as RFC 9162 subtrees are")
    return [(level, (start >> level) + index) for level, index in frontier_nodes(width)]


def fold(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        raise ValueError("nothing to fold")
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def _split(width: int) -> int:
    """RFC 9162's k: the largest power of two smaller than ``width`` (> 1)."""
    return 1 << ((width - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges = []
    low, high = 0, size
    while high - low > 1:
        k = _split(high - low)
        if index < low + k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low += k
    ranges.reverse()  # walked from the root down; the proof goes up
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old == 0 or old == new:
        return []
    ranges = []
    low, high = 0, new
    whole_old_tree = True  # SUBPROOF's b: is [low, high) still a prefix the verifier knows as the old root?
    while old != high:
        k = _split(high - low)
        if old - low <= k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low += k
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((low, high))
    ranges.reverse()
    return ranges


def _hashes_of(ranges: list[tuple[int, int]], read: NodeReader) -> list[bytes]:
    """One read for every node of every range; an empty proof reads nothing."""
    if not ranges:
        return []
    wanted = [subtree_nodes(start, end) for start, end in ranges]
    stored = read({node for nodes in wanted for node in nodes})
    missing = sorted({node for nodes in wanted for node in nodes if node not in stored})
    if missing:
        raise LookupError(f"the tree store lacks nodes {missing[:8]}")
    return [fold([stored[node] for node in nodes]) for nodes in wanted]


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    return _hashes_of(inclusion_ranges(index, size), read)


def consistency_proof(old: int, new: int, read: NodeReader) -> list[bytes]:
    return _hashes_of(consistency_ranges(old, new), read)


def root_at(size: int, read: NodeReader) -> bytes:
    if size < 0:
        raise ValueError(f"a tree size cannot be negative ({size})")
    if size == 0:
        return EMPTY_ROOT
    return _hashes_of([(0, size)], read)[0]
