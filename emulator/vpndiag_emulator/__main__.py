"""``python -m vpndiag_emulator``: serve the emulator until killed."""

from __future__ import annotations

from .cli import serve_forever

raise SystemExit(serve_forever())
