"""Identifiers in the shapes the real services use."""

from __future__ import annotations

import random
import string
import uuid

_ID_ALPHABET = string.ascii_lowercase + string.digits


def seeded_rng(*parts: object) -> random.Random:
    """A generator seeded from ``parts`` joined (``seed/account/region/...``).

    String seeds hash stably across runs and platforms, so each component gets its own
    reproducible stream, independent of the order in which others draw.
    """
    return random.Random("/".join(str(p) for p in parts))  # noqa: S311  (reproducibility, not secrecy)


def random_text(rng: random.Random, length: int) -> str:
    """``length`` lower-case alphanumerics from the caller's (seeded) generator."""
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(length))


def resource_id(rng: random.Random, prefix: str, length: int = 20) -> str:
    """``prefix-`` plus ``length`` lower-case alphanumerics, e.g. ``vpn-bp1q8bgx4xnkm2ogj7a1``.

    Drawn from the caller's seeded generator so a seeded estate has the same ids every run.
    """
    return f"{prefix}-{random_text(rng, length)}"


def request_id() -> str:
    """An upper-case UUID, the shape of Alibaba Cloud request ids.

    Not seeded: request ids identify exchanges, not state, and concurrent requests would make a
    seeded sequence non-deterministic anyway.
    """
    return str(uuid.uuid4()).upper()
