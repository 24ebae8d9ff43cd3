"""vpndiag: a permanent, queryable record of Alibaba Cloud VPN gateway health.

Nothing is imported here on purpose: each function pays only for the modules its path needs.
"""

from __future__ import annotations

__version__ = "0.1.0"
