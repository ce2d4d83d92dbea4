"""RFC 6962 Merkle tree: published vectors, the reference definition, and the leaf encoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.snapshot.leaf import LeafError, leaf_data
from cleanroom.snapshot.merkle import (
    _mth,
    empty_root,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_inclusion,
)

# The test leaves and tree heads used by RFC 6962's reference implementation
# (certificate-transparency, transparency-dev/merkle testonly): MTH(D[n]) for n = 0..8.
LEAVES = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]]  # fmt: skip
# PATH(index, D[size]) from the same test data (0-based leaf index).
PATHS = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
    (0, 1): [],
}  # fmt: skip
HASHES = [leaf_hash(x) for x in LEAVES]


@pytest.mark.parametrize("size", range(9))
def test_tree_heads_match_the_rfc_6962_test_vectors(size):
    assert root(HASHES[:size]) == ROOTS[size]
    assert _mth(HASHES[:size]) == ROOTS[size]


def test_empty_tree_is_the_hash_of_nothing():
    assert empty_root() == ROOTS[0] == root([])


@pytest.mark.parametrize(("index", "size"), sorted(PATHS))
def test_inclusion_proofs_match_the_vectors_and_verify(index, size):
    proof = inclusion_proof(HASHES[:size], index)
    assert [p.hex() for p in proof] == PATHS[(index, size)]
    assert verify_inclusion(HASHES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("index", "size"), sorted(PATHS))
def test_inclusion_proofs_fail_for_anything_else(index, size):
    proof = inclusion_proof(HASHES[:size], index)
    assert not verify_inclusion(HASHES[index], index, size, proof, ROOTS[size - 1])
    assert not verify_inclusion(leaf_hash(b"other"), index, size, proof, ROOTS[size])
    # (A different claimed size can verify when the path has the same shape: the size
    # is bound by the signed manifest, not by the proof.)
    assert not verify_inclusion(HASHES[index], size, size, proof, ROOTS[size])
    if size > 1:
        assert not verify_inclusion(HASHES[index], index ^ 1, size, proof, ROOTS[size])
        assert not verify_inclusion(HASHES[index], index, size, proof[:-1], ROOTS[size])
        assert not verify_inclusion(HASHES[index], index, size, proof + proof[:1], ROOTS[size])


def test_leaf_and_node_hashes_are_domain_separated():
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    # A leaf whose data is two concatenated hashes is not the node over them.
    assert leaf_hash(a + b) != node_hash(a, b)
    assert root([a, b]) == node_hash(a, b)


HASH = st.binary(min_size=32, max_size=32)


@settings(max_examples=200)
@given(st.lists(HASH, max_size=70))
def test_streaming_root_equals_the_rfc_definition(leaves):
    assert root(iter(leaves)) == _mth(leaves)


@settings(max_examples=60)
@given(st.lists(HASH, min_size=1, max_size=40), st.data())
def test_every_leaf_has_a_verifying_proof(leaves, data):
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, len(leaves), proof, root(leaves))


@settings(max_examples=100)
@given(st.lists(HASH, min_size=2, max_size=40, unique=True), st.data())
def test_root_changes_with_any_leaf_the_order_or_the_count(leaves, data):
    r = root(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    changed = list(leaves)
    changed[i] = bytes([changed[i][0] ^ 1]) + changed[i][1:]
    assert root(changed) != r
    j = data.draw(st.integers(0, len(leaves) - 1).filter(lambda j: j != i))
    swapped = list(leaves)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert root(swapped) != r
    assert root(leaves[:-1]) != r
    assert root(leaves + [leaves[-1]]) != r


# -- the leaf encoding ------------------------------------------------------------------


def test_leaf_fields_cannot_slide_into_each_other():
    base = (b"ab", "file", 0o100644, 3, b"\x01" * 32, None, None)
    assert leaf_data(*base) != leaf_data(b"a", "bfile", 0o100644, 3, b"\x01" * 32, None, None)
    # NULL and empty are different values.
    link_empty = leaf_data(b"x", "link", 0o120777, 0, None, b"", None)
    link_null = leaf_data(b"x", "link", 0o120777, 0, None, None, None)
    assert link_empty != link_null
    # A target cannot pose as a reason.
    assert leaf_data(b"x", "skipped", 0, 0, None, b"why", None) != leaf_data(
        b"x", "skipped", 0, 0, None, None, "why"
    )


def test_text_fields_give_the_same_leaf_as_str_or_utf8_bytes():
    assert leaf_data(b"p", "skipped", 1, 2, None, None, "no ✓") == leaf_data(
        b"p", b"skipped", 1, 2, None, None, "no ✓".encode()
    )


@pytest.mark.parametrize(
    "bad",
    [
        ("p", "file", 0, 0, None, None, None),  # path not bytes
        (b"p", "file", -1, 0, None, None, None),  # negative mode
        (b"p", "file", 0, 2**64, None, None, None),  # size out of range
        (b"p", "file", 0, True, None, None, None),  # a bool is not an integer here
        (b"p", 7, 0, 0, None, None, None),  # kind not text
        (b"p", "skipped", 0, 0, None, None, "\udcff"),  # not encodable as UTF-8
    ],
)
def test_unencodable_rows_raise_leaf_error(bad):
    with pytest.raises(LeafError):
        leaf_data(*bad)
