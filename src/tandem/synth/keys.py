"""Deterministic identifiers: UUIDs from a seeded generator, MRNs that cannot collide.

A population is identified by a *block* (0 to 9999, the synth seed; the demo uses 9000 and up) and
each patient by its index in the block (0 to 999,999). MRNs and external identifiers are an affine
bijection of ``block * 1,000,000 + index`` modulo 10^10, so they look random but two different
(block, index) pairs never share a value.
"""

from __future__ import annotations

import random
import uuid

BLOCKS = 10_000
PER_BLOCK = 1_000_000
_SPACE = 10**10
# Multipliers are coprime to 10, so each map below is a permutation of 0 … 10^10 - 1.
_MRN = (3_816_547_291, 1_234_567_890)
_CLINIC = (7_046_029_253, 5_559_127_001)
_MEDICAID = (2_718_281_829, 3_141_592_653)


def new_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from ``rng`` (same seed, same UUIDs)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _number(block: int, index: int, map_: tuple[int, int]) -> int:
    if not 0 <= block < BLOCKS:
        raise ValueError(f"block must be between 0 and {BLOCKS - 1}")
    if not 0 <= index < PER_BLOCK:
        raise ValueError(f"at most {PER_BLOCK:,} patients per population")
    multiplier, offset = map_
    return ((block * PER_BLOCK + index) * multiplier + offset) % _SPACE


def mrn(block: int, index: int) -> str:
    """The Tandem MRN: ``T`` and 10 digits."""
    return f"T{_number(block, index, _MRN):010d}"


def clinic_mrn(code: str, block: int, index: int) -> str:
    """A clinic's own record number, prefixed with the clinic's code."""
    return f"{code}-{_number(block, index, _CLINIC):010d}"


def medicaid_id(block: int, index: int) -> str:
    """A Medicaid member ID in the state's "10 digits + WA" style."""
    return f"{_number(block, index, _MEDICAID):010d}WA"
