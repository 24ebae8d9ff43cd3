"""Functions from code packages: the deployed zip's entry module, run with the host's libraries.

FC runs a python3.10 function by unpacking its zip and importing the handler's module (``index``
of ``index.handler``) in the runtime image. The emulator has no runtime image, and the package's
third-party dependencies are built for FC's python3.10 on Linux x86_64 (compiled ones such as
pydantic-core cannot load into this interpreter). So the emulated platform unpacks the zip into a
temporary folder and imports the *entry module from the package* under a unique module name, with
the folder *appended* to ``sys.path``: every library the entry module imports (``vpndiag``,
pydantic, the SDKs) resolves on the host's ``sys.path`` first and only falls back to the package.
That is the closest real thing without the FC runtime: the deployed entry code runs, against the
libraries of the test's interpreter.

Handlers are ``path.function`` with the module path relative to the code root (``index.handler``
is ``index.py``'s ``handler``; ``src.main.handler`` is ``src/main.py``'s), as FC documents.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import sys
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Final

from . import errors

_MODULE_PREFIX: Final = "_vpndiag_emulator_fc_code_"
# Inferred from FC's 500 MB unzipped code limit for FC 2.0 (direct zip upload allows 50 MB).
MAX_UNZIPPED_BYTES: Final = 500 * 1024 * 1024


def check_handler(handler: str, *, name: str = "handler") -> tuple[str, str]:
    """``(module path, function)`` of ``index.handler``; refused with ``InvalidArgument`` else."""
    module, dot, function = handler.rpartition(".")
    if not dot or not module or not function.isidentifier():
        raise errors.invalid_argument(f"{name} {handler!r} is not 'file.function'")
    if not all(part.isidentifier() for part in module.split(".")):
        raise errors.invalid_argument(f"{name} {handler!r}: {module!r} is not a module path")
    return module, function


def check_zip(code: bytes) -> None:
    """Refuse what FC's CreateFunction refuses: not a zip, unsafe or oversized entries."""
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            total = 0
            for info in archive.infolist():
                path = PurePosixPath(info.filename)
                if path.is_absolute() or ".." in path.parts:
                    raise errors.invalid_argument(f"code entry {info.filename!r} leaves the root")
                total += info.file_size
            if total > MAX_UNZIPPED_BYTES:
                raise errors.invalid_argument(
                    f"code unzips to {total} bytes > {MAX_UNZIPPED_BYTES}"
                )
    except zipfile.BadZipFile:
        raise errors.invalid_argument("code is not a zip file") from None


class CodePackage:
    """One function instance's code: unpacked on first use, its entry module imported once.

    Loading happens at the instance's cold start (the first invocation), as on the platform: a
    missing module or a failing import is that invocation's error, not a CreateFunction refusal.
    ``close()`` removes the folder and its ``sys.path`` entry (the imported module stays in the
    interpreter's module cache under its unique name, unreachable).
    """

    def __init__(self, code: bytes, handler: str, initializer: str | None) -> None:
        self._code = code
        self._handler = check_handler(handler)
        self._initializer = (
            check_handler(initializer, name="initializer") if initializer is not None else None
        )
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._modules: dict[str, ModuleType] = {}

    def handler(self) -> Callable[..., object]:
        return self._attribute(*self._handler)

    def initializer(self) -> Callable[..., object] | None:
        return self._attribute(*self._initializer) if self._initializer is not None else None

    def close(self) -> None:
        with self._lock:
            if self._root is not None:
                root = str(self._root)
                if root in sys.path:
                    sys.path.remove(root)
                shutil.rmtree(root, ignore_errors=True)
                self._root = None

    def _attribute(self, module_path: str, name: str) -> Callable[..., object]:
        module = self._module(module_path)
        function = getattr(module, name, None)
        if not callable(function):
            raise AttributeError(f"module '{module_path}' has no function '{name}'")
        return function  # type: ignore[no-any-return]

    def _module(self, module_path: str) -> ModuleType:
        with self._lock:
            loaded = self._modules.get(module_path)
            if loaded is not None:
                return loaded
            root = self._unpack()
            file = root.joinpath(*module_path.split(".")).with_suffix(".py")
            if not file.is_file():
                raise ModuleNotFoundError(f"No module named '{module_path}'")
            unique = f"{_MODULE_PREFIX}{uuid.uuid4().hex}_{module_path.replace('.', '_')}"
            spec = importlib.util.spec_from_file_location(unique, file)
            if spec is None or spec.loader is None:
                raise ModuleNotFoundError(f"cannot load '{module_path}' from the code package")
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[unique]
                raise
            self._modules[module_path] = module
            return module

    def _unpack(self) -> Path:
        # Called with the lock held.
        if self._root is None:
            root = Path(tempfile.mkdtemp(prefix="vpndiag-fc-code-"))
            with zipfile.ZipFile(io.BytesIO(self._code)) as archive:
                archive.extractall(root)
            # Appended, never prepended: the host's libraries win over the package's copies.
            sys.path.append(str(root))
            self._root = root
        return self._root
