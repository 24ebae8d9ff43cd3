"""``python -m vpndiag_emulator.ros template.yml``: the template checked against the vendor's ROS
resource specifications, one problem per line (exit 1), or ``valid`` (exit 0)."""

from __future__ import annotations

import sys

from .validate import main

sys.exit(main())
