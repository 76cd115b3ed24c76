"""The Merkle tree over the ledger's entry hashes, exactly as RFC 9162 (section 2.1) defines it, so
that a donor can check an inclusion proof with any RFC 6962/9162 verifier, not only ours.

    leaf i          = the i-th entry's chain hash (32 bytes), i = seq - 1
    leaf hash       = SHA-256(0x00 || leaf)
    node hash       = SHA-256(0x01 || left || right)
    MTH(D[n])       = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n

Three uses, none holding more than it needs: `Frontier` (the roots of the perfect subtrees, at
most 64 hashes) grows the tree leaf by leaf, so a checkpoint and an offline check hash each entry
once; `inclusion_path` builds one leaf's audit path from the leaves of a signed tree size;
`root_from_inclusion` is the verifier's algorithm of RFC 9162 section 2.1.3.2. Written here rather
than taken from a library: the candidates (pymerkle) are GPL-licensed and use their own proof
format; these are the RFC's few lines, checked in the tests against the RFC 6962 reference vectors.
Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


class InclusionProofError(ValueError):
    """An audit path that cannot belong to the tree size and leaf index it claims."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The tree so far as its perfect subtrees, largest (leftmost) first: each `append` merges
    equal neighbours, so the list is the binary digits of `size`. Its `root()` is MTH of every leaf
    appended. Stored with each checkpoint, so the next one hashes only the entries after it."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != bin(size).count("1"):
            raise ValueError(f"a tree of {size} leaves cannot have {len(hashes)} perfect subtrees")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        self.append_hash(leaf_hash(leaf))

    def append_hash(self, hashed_leaf: bytes) -> None:
        self.hashes.append(hashed_leaf)
        self.size += 1
        # each trailing zero bit of the new size is a pair of equal subtrees to merge into one
        merges = (self.size & -self.size).bit_length() - 1
        for _ in range(merges):
            right = self.hashes.pop()
            self.hashes[-1] = node_hash(self.hashes[-1], right)

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(hashed_leaves: Sequence[bytes]) -> bytes:
    """MTH over leaves already hashed with `leaf_hash`."""
    frontier = Frontier()
    for hashed in hashed_leaves:
        frontier.append_hash(hashed)
    return frontier.root()


def inclusion_path(index: int, hashed_leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 section 2.1.3.1, n = len(hashed_leaves): the sibling subtree
    roots from the leaf up to the root."""
    if not 0 <= index < len(hashed_leaves):
        raise InclusionProofError(f"leaf {index} is not in a tree of {len(hashed_leaves)} leaves")
    path: list[bytes] = []
    low, high = 0, len(hashed_leaves)
    while high - low > 1:  # descend towards the leaf; the path is read bottom-up, so prepend
        k = _split(high - low)
        if index - low < k:
            path.insert(0, tree_root(hashed_leaves[low + k : high]))
            high = low + k
        else:
            path.insert(0, tree_root(hashed_leaves[low : low + k]))
            low += k
    return path


def root_from_inclusion(index: int, size: int, hashed_leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root a tree of `size` leaves must have if `hashed_leaf` is its leaf `index` with this
    audit path (RFC 9162 section 2.1.3.2); the caller compares it with the signed root."""
    if not 0 <= index < size:
        raise InclusionProofError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, result = index, size - 1, hashed_leaf
    for sibling in path:
        if len(sibling) != len(hashed_leaf):
            raise InclusionProofError("an audit path hash has the wrong length")
        if sn == 0:
            raise InclusionProofError("the audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InclusionProofError("the audit path is shorter than the tree is deep")
    return result
