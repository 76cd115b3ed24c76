"""merkle.py against the RFC 6962 reference vectors (the eight leaves every CT implementation tests
with, as transparency-dev/merkle's testonly package lists them): roots of every tree size, the
compact frontier, and audit paths that verify — and fail when anything in them changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.grants.core.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    InclusionProofError,
    inclusion_path,
    leaf_hash,
    root_from_inclusion,
    tree_root,
)

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Node hashes of the 8-leaf tree: level 0 (the hashed leaves), 1, 2.
LEVEL_0 = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
LEVEL_1 = [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
]
LEVEL_2 = [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]
HASHED = [leaf_hash(leaf) for leaf in LEAVES]


def test_leaf_hashes_and_roots_of_every_size_are_the_reference_ones() -> None:
    assert [h.hex() for h in HASHED] == LEVEL_0
    assert EMPTY_ROOT.hex() == ROOTS[0]
    for size in range(len(LEAVES) + 1):
        assert tree_root(HASHED[:size]).hex() == ROOTS[size], size


def test_the_frontier_is_the_compact_tree_and_resumes_where_it_stopped() -> None:
    frontier = Frontier()
    for leaf in LEAVES[:7]:
        frontier.append(leaf)
    assert [h.hex() for h in frontier.hashes] == [LEVEL_2[0], LEVEL_1[2], LEVEL_0[6]]
    resumed = Frontier(frontier.size, frontier.hashes)
    resumed.append(LEAVES[7])
    assert resumed.root().hex() == ROOTS[8]
    with pytest.raises(ValueError, match="cannot have 2 perfect subtrees"):
        Frontier(4, frontier.hashes[:2])


@pytest.mark.parametrize(
    ("index", "size", "expected"),
    [
        (0, 8, [LEVEL_0[1], LEVEL_1[1], LEVEL_2[1]]),
        (5, 8, [LEVEL_0[4], LEVEL_1[3], LEVEL_2[0]]),
        (2, 3, [LEVEL_1[0]]),
        (1, 5, [LEVEL_0[0], LEVEL_1[1], LEVEL_0[4]]),
        (0, 1, []),
    ],
)
def test_audit_paths_are_rfc_9162_paths_and_verify(index: int, size: int, expected: list[str]) -> None:
    path = inclusion_path(index, HASHED[:size])
    assert [h.hex() for h in path] == expected
    assert root_from_inclusion(index, size, HASHED[index], path).hex() == ROOTS[size]


def test_a_path_for_another_leaf_index_or_size_does_not_lead_to_the_root() -> None:
    path = inclusion_path(5, HASHED)
    assert root_from_inclusion(4, 8, HASHED[4], path).hex() != ROOTS[8]
    assert root_from_inclusion(5, 8, HASHED[4], path).hex() != ROOTS[8]
    with pytest.raises(InclusionProofError, match="shorter"):
        root_from_inclusion(5, 8, HASHED[5], path[:-1])
    with pytest.raises(InclusionProofError, match="longer"):
        root_from_inclusion(5, 6, HASHED[5], [*path, path[0]])
    with pytest.raises(InclusionProofError, match="outside"):
        root_from_inclusion(8, 8, HASHED[0], path)


@given(st.integers(1, 300), st.data())
def test_every_leaf_of_any_tree_proves_against_the_root(size: int, data: st.DataObject) -> None:
    hashed = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    root = tree_root(hashed)
    index = data.draw(st.integers(0, size - 1))
    assert root_from_inclusion(index, size, hashed[index], inclusion_path(index, hashed)) == root
