"""domain.tlog.merkle against RFC 9162 §2.1 written out recursively, and against the auditor's verifier.

The reference below is the RFC's definitions transcribed as they read (MTH,
PATH, PROOF/SUBPROOF), slow and obviously right; the known answers are the
Certificate Transparency test data published with RFC 6962's reference
implementations (transparency-dev/merkle testonly/constants.go, formerly
google/certificate-transparency's merkle tree tests).
"""

from __future__ import annotations

import hashlib
import struct
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tlog import verify as tlog_verify
from domain.tlog import merkle

# --- RFC 9162 §2.1, transcribed ---


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True)


# --- Certificate Transparency's test tree (RFC 6962 reference implementations) ---

CT_INPUTS = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
# (level, index) -> hash: every complete subtree of the 8-leaf tree, from the same test data.
CT_NODES = {
    (level, index): bytes.fromhex(h)
    for level, row in enumerate(
        (
            (
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
            ),
            (
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            ),
            (
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ),
            ("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",),
        )
    )
    for index, h in enumerate(row)
}
# The published proofs of that tree (leaf index, tree size) and (old size, new size), as node names.
CT_INCLUSION = {
    (0, 8): [(0, 1), (1, 1), (2, 1)],
    (5, 8): [(0, 4), (1, 3), (2, 0)],
    (2, 3): [(1, 0)],
    (1, 5): [(0, 0), (1, 1), (0, 4)],
    (0, 1): [],
}
CT_CONSISTENCY = {
    (1, 8): [(0, 1), (1, 1), (2, 1)],
    (6, 8): [(1, 2), (1, 3), (2, 0)],
    (2, 5): [(1, 1), (0, 4)],
    (1, 1): [],
}


def _leaves(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


def _store(data: list[bytes]) -> dict[tuple[int, int], bytes]:
    frontier, nodes = merkle.Frontier(), {}
    for item in data:
        nodes.update(((level, index), h) for level, index, h in frontier.append(merkle.leaf_hash(item)))
    return nodes


class CountingReader:
    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.nodes, self.calls = nodes, 0

    def __call__(self, wanted):
        self.calls += 1
        return {node: self.nodes[node] for node in wanted if node in self.nodes}


SIZES = range(1, 65)
STORE = _store(_leaves(64))


def test_the_reference_reproduces_the_certificate_transparency_roots():
    assert [mth(CT_INPUTS[:n]) for n in range(1, 9)] == CT_ROOTS
    assert (
        mth([])
        == merkle.EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )


def test_appending_the_test_tree_stores_exactly_its_published_nodes_and_roots():
    frontier, nodes = merkle.Frontier(), {}
    for size, item in enumerate(CT_INPUTS, 1):
        nodes.update(((level, index), h) for level, index, h in frontier.append(merkle.leaf_hash(item)))
        assert frontier.root() == CT_ROOTS[size - 1]
    assert nodes == CT_NODES


@pytest.mark.parametrize(("where", "names"), CT_INCLUSION.items())
def test_inclusion_proofs_of_the_test_tree_are_the_published_ones(where, names):
    index, size = where
    assert merkle.inclusion_proof(index, size, CountingReader(CT_NODES)) == [CT_NODES[n] for n in names]
    assert path(index, CT_INPUTS[:size]) == [CT_NODES[n] for n in names]


@pytest.mark.parametrize(("sizes", "names"), CT_CONSISTENCY.items())
def test_consistency_proofs_of_the_test_tree_are_the_published_ones(sizes, names):
    old, new = sizes
    assert merkle.consistency_proof(old, new, CountingReader(CT_NODES)) == [CT_NODES[n] for n in names]
    assert proof(old, CT_INPUTS[:new]) == [CT_NODES[n] for n in names]


def test_frontier_root_is_the_reference_root_at_every_size():
    frontier, data = merkle.Frontier(), _leaves(64)
    assert frontier.root() == merkle.EMPTY_ROOT
    for size in SIZES:
        frontier.append(merkle.leaf_hash(data[size - 1]))
        assert frontier.root() == mth(data[:size])
        assert merkle.root_at(size, CountingReader(STORE)) == mth(data[:size])


def test_append_returns_the_leaf_then_each_node_it_completes():
    frontier = merkle.Frontier()
    for _ in range(7):
        frontier.append(b"\x07" * 32)
    completed = frontier.append(b"\x08" * 32)
    assert [(level, index) for level, index, _ in completed] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert completed[0][2] == b"\x08" * 32
    assert frontier.hashes == [completed[-1][2]] and frontier.size == 8


def test_a_frontier_restored_from_its_hashes_appends_as_the_original_does():
    data = _leaves(45)
    original = merkle.Frontier()
    for item in data[:37]:
        original.append(merkle.leaf_hash(item))
    restored = merkle.Frontier(37, [STORE[node] for node in merkle.frontier_nodes(37)])
    for item in data[37:]:
        assert restored.append(merkle.leaf_hash(item)) == original.append(merkle.leaf_hash(item))
    assert restored.root() == mth(data)
    with pytest.raises(ValueError, match="has 3 hashes"):
        merkle.Frontier(37, [b"\x00" * 32])


def test_frontier_nodes_are_the_binary_decomposition_largest_first():
    assert merkle.frontier_nodes(0) == []
    assert merkle.frontier_nodes(13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.frontier_nodes(64) == [(6, 0)]


def test_every_inclusion_proof_up_to_64_leaves_is_the_rfc_path_and_verifies():
    data = _leaves(64)
    for size in SIZES:
        root = mth(data[:size])
        for index in range(size):
            reader = CountingReader(STORE)
            got = merkle.inclusion_proof(index, size, reader)
            assert got == path(index, data[:size]), (index, size)
            assert reader.calls == (1 if got else 0)
            tlog_verify.verify_inclusion(index, size, merkle.leaf_hash(data[index]), got, root)


def test_every_consistency_proof_up_to_64_leaves_is_the_rfc_proof_and_verifies():
    data = _leaves(64)
    roots = [mth(data[:n]) for n in range(65)]
    for new in SIZES:
        for old in range(1, new + 1):
            reader = CountingReader(STORE)
            got = merkle.consistency_proof(old, new, reader)
            assert got == proof(old, data[:new]), (old, new)
            assert reader.calls == (1 if got else 0)
            tlog_verify.verify_consistency(old, new, roots[old], roots[new], got)


def test_ranges_are_aligned_subtrees_whose_fold_is_their_root():
    data = _leaves(64)
    for size in SIZES:
        ranges = {r for i in range(size) for r in merkle.inclusion_ranges(i, size)}
        ranges |= {r for old in range(1, size) for r in merkle.consistency_ranges(old, size)}
        for start, end in ranges:
            assert merkle.fold([STORE[n] for n in merkle.subtree_nodes(start, end)]) == mth(data[start:end])


def test_a_range_that_is_not_an_rfc_subtree_is_refused():
    with pytest.raises(ValueError, match="aligned"):
        merkle.subtree_nodes(2, 6)
    with pytest.raises(ValueError, match="non-empty"):
        merkle.subtree_nodes(4, 4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda read: merkle.inclusion_proof(5, 5, read), "not in a tree of size 5"),
        (lambda read: merkle.inclusion_proof(-1, 5, read), "not in a tree"),
        (lambda read: merkle.inclusion_proof(0, 0, read), "not in a tree of size 0"),
        (lambda read: merkle.consistency_proof(6, 5, read), "from size 6 to size 5"),
        (lambda read: merkle.consistency_proof(-1, 5, read), "from size -1"),
        (lambda read: merkle.root_at(-1, read), "negative"),
    ],
)
def test_out_of_range_proof_arguments_are_refused_before_reading(call, message):
    reader = CountingReader(STORE)
    with pytest.raises(ValueError, match=message):
        call(reader)
    assert reader.calls == 0


def test_consistency_from_the_empty_or_the_same_tree_is_the_empty_proof():
    assert merkle.consistency_proof(0, 9, CountingReader(STORE)) == []
    assert merkle.consistency_proof(9, 9, CountingReader(STORE)) == []
    assert merkle.root_at(0, CountingReader({})) == merkle.EMPTY_ROOT


def test_a_store_missing_a_node_is_named_not_folded_around():
    nodes = dict(STORE)
    del nodes[(0, 4)]
    with pytest.raises(LookupError, match=r"\(0, 4\)"):
        merkle.inclusion_proof(5, 6, CountingReader(nodes))


def _flip(h: bytes, bit: int) -> bytes:
    return bytes(b ^ (1 << bit % 8) if i == bit // 8 else b for i, b in enumerate(h))


def test_every_flipped_bit_of_an_inclusion_proof_is_rejected():
    data = _leaves(13)
    root, leaf = mth(data), merkle.leaf_hash(data[6])
    good = merkle.inclusion_proof(6, 13, CountingReader(STORE))
    for element in range(len(good)):
        for bit in range(256):
            bad = [_flip(h, bit) if i == element else h for i, h in enumerate(good)]
            with pytest.raises(tlog_verify.ProofError):
                tlog_verify.verify_inclusion(6, 13, leaf, bad, root)
    for bit in range(256):
        with pytest.raises(tlog_verify.ProofError):
            tlog_verify.verify_inclusion(6, 13, _flip(leaf, bit), good, root)
        with pytest.raises(tlog_verify.ProofError):
            tlog_verify.verify_inclusion(6, 13, leaf, good, _flip(root, bit))


@pytest.mark.parametrize(
    ("index", "size", "change"),
    [
        (5, 13, "index"),
        (7, 13, "index"),
        (13, 13, "index"),
        (6, 12, "size"),
        (6, 14, "size"),
        (6, 7, "size"),
        (6, 13, "extra"),
        (6, 13, "missing"),
        (6, 13, "short hash"),
    ],
)
def test_an_inclusion_proof_for_another_position_or_altered_in_length_is_rejected(index, size, change):
    """A wrong size is checked against that size's own root: the root is what binds a size, the proof's shape
    alone cannot (leaf 6 has the same path shape in trees of 12, 13 and 14 leaves)."""
    data = _leaves(14)
    good = merkle.inclusion_proof(6, 13, CountingReader(STORE))
    altered = {"extra": good + [good[0]], "missing": good[:-1], "short hash": [good[0][:31]] + good[1:]}.get(
        change, good
    )
    with pytest.raises(tlog_verify.ProofError):
        tlog_verify.verify_inclusion(index, size, merkle.leaf_hash(data[6]), altered, mth(data[:size]))


def test_every_tampered_consistency_proof_is_rejected():
    data = _leaves(64)
    for old, new in [(1, 2), (3, 7), (4, 8), (6, 13), (17, 64), (31, 33)]:
        good = merkle.consistency_proof(old, new, CountingReader(STORE))
        old_root, new_root = mth(data[:old]), mth(data[:new])
        variants = [good + [good[0]], good[:-1], good[1:], [], good[::-1] if len(good) > 1 else [b"\x00" * 32]]
        variants += [
            [_flip(h, bit) if i == e else h for i, h in enumerate(good)]
            for e in range(len(good))
            for bit in (0, 77, 255)
        ]
        for bad in variants:
            with pytest.raises(tlog_verify.ProofError):
                tlog_verify.verify_consistency(old, new, old_root, new_root, bad)
        for other_old, other_new in [(old - 1, new), (old + 1, new), (old, new - 1), (old, new + 1)]:
            if 0 < other_old < other_new:  # each size with its own root, as a checkpoint would sign it
                with pytest.raises(tlog_verify.ProofError):
                    tlog_verify.verify_consistency(
                        other_old, other_new, mth(data[:other_old]), mth(data[:other_new]), good
                    )
        with pytest.raises(tlog_verify.ProofError):
            tlog_verify.verify_consistency(old, new, _flip(old_root, 3), new_root, good)


def test_consistency_from_an_equal_or_empty_tree_needs_matching_roots_and_no_proof():
    one, two = mth(_leaves(1)), mth(_leaves(2))
    tlog_verify.verify_consistency(2, 2, two, two, [])
    tlog_verify.verify_consistency(0, 2, merkle.EMPTY_ROOT, two, [])
    for args in [(2, 2, one, two, []), (2, 2, two, two, [one]), (0, 2, one, two, []), (3, 2, two, two, [])]:
        with pytest.raises(tlog_verify.ProofError):
            tlog_verify.verify_consistency(*args)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=2000))
def test_frontier_root_equals_the_auditors_streaming_root(items):
    frontier = merkle.Frontier()
    for item in items:
        frontier.append(merkle.leaf_hash(item))
    assert frontier.root() == tlog_verify.root_of(merkle.leaf_hash(item) for item in items)


EVENT = (
    "caseledger",
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    3,
    "domain.appeals.aggregate:Appeal.Created",
    b'{"title": "\xe5\x8a\x9e"}',
)


def test_leaf_data_has_the_documented_layout():
    data = merkle.leaf_data(*EVENT)
    app, topic, state = b"caseledger", EVENT[3].encode(), EVENT[4]
    assert data == (
        b"\x01"
        + struct.pack(">H", len(app))
        + app
        + EVENT[1].bytes
        + struct.pack(">Q", 3)
        + struct.pack(">H", len(topic))
        + topic
        + struct.pack(">I", len(state))
        + state
    )


@given(st.text(max_size=50), st.uuids(), st.integers(0, 2**64 - 1), st.text(max_size=50), st.binary(max_size=300))
def test_leaf_data_round_trips(application, originator_id, version, topic, state):
    event = (application, originator_id, version, topic, state)
    assert merkle.parse_leaf_data(merkle.leaf_data(*event)) == event


def test_leaf_data_with_a_byte_too_many_or_too_few_is_refused():
    data = merkle.leaf_data(*EVENT)
    for bad in [data + b"\x00", data[:-1], data[:1], b"", b"\x02" + data[1:], data[:30]]:
        with pytest.raises(ValueError):
            merkle.parse_leaf_data(bad)
    with pytest.raises(ValueError, match="UTF-8"):
        merkle.parse_leaf_data(data[:3] + b"\xff" + data[4:])


def test_leaf_data_refuses_what_its_fields_cannot_hold():
    for bad in [("a" * 65536, *EVENT[1:]), (*EVENT[:2], -1, *EVENT[3:]), (*EVENT[:2], 2**64, *EVENT[3:])]:
        with pytest.raises(ValueError):
            merkle.leaf_data(*bad)


def test_every_leaf_data_truncation_is_refused():
    data = merkle.leaf_data(*EVENT)
    for end in range(len(data)):
        with pytest.raises(ValueError):
            merkle.parse_leaf_data(data[:end])
