"""The filesystem object store: create-only, atomic, confined to its root."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from vpndiag.errors import ArchiveConflict
from vpndiag.store.objects import FilesystemObjectStore, PutOutcome


def test_put_creates_then_identical_bytes_are_a_replay(tmp_path: Path) -> None:
    """The first put creates; the same bytes again report IDENTICAL and change nothing."""
    store = FilesystemObjectStore(tmp_path)
    assert (
        store.put_if_absent("a/b.json", b"{}", content_type="application/json")
        is PutOutcome.CREATED
    )
    assert (
        store.put_if_absent("a/b.json", b"{}", content_type="application/json")
        is PutOutcome.IDENTICAL
    )
    assert store.get("a/b.json") == b"{}"


def test_different_bytes_are_never_overwritten(tmp_path: Path) -> None:
    """A different body for an existing key is an ArchiveConflict; the original stays."""
    store = FilesystemObjectStore(tmp_path)
    store.put_if_absent("k.json", b"first", content_type="text/plain")
    with pytest.raises(ArchiveConflict, match=r"k\.json"):
        store.put_if_absent("k.json", b"second", content_type="text/plain")
    assert store.get("k.json") == b"first"


def test_concurrent_puts_create_exactly_once(tmp_path: Path) -> None:
    """Many threads putting one key: one CREATED, the rest IDENTICAL, no temp files left."""
    store = FilesystemObjectStore(tmp_path)
    outcomes: list[PutOutcome] = []
    threads = [
        threading.Thread(
            target=lambda: outcomes.append(store.put_if_absent("x/y", b"body", content_type="t"))
        )
        for _ in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(PutOutcome.CREATED) == 1
    assert outcomes.count(PutOutcome.IDENTICAL) == 15
    assert list(store.list("")) == ["x/y"]


@pytest.mark.parametrize("key", ["../escape", "/abs", "a//b", "a/./b", "a\\b", "a\nb", ""])
def test_unsafe_keys_are_refused(tmp_path: Path, key: str) -> None:
    """Keys that could leave the root or confuse a filesystem never touch the disk."""
    store = FilesystemObjectStore(tmp_path / "root")
    with pytest.raises(ValueError, match="unsafe object key"):
        store.put_if_absent(key, b"x", content_type="t")
    assert not (tmp_path / "escape").exists()


def test_list_filters_by_prefix(tmp_path: Path) -> None:
    """list() yields the keys under a prefix, sorted."""
    store = FilesystemObjectStore(tmp_path)
    for key in ("b/2", "a/1", "b/1"):
        store.put_if_absent(key, b"", content_type="t")
    assert list(store.list("b/")) == ["b/1", "b/2"]
    assert store.exists("a/1")
    assert not store.exists("a/2")
    assert store.get("a/2") is None


def test_list_refuses_a_prefix_that_leaves_the_root(tmp_path: Path) -> None:
    """A prefix cannot walk outside the archive root."""
    (tmp_path / "outside.txt").write_text("x")
    store = FilesystemObjectStore(tmp_path / "root")
    with pytest.raises(ValueError, match="unsafe prefix"):
        list(store.list("../"))
