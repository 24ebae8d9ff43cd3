"""Thin clients for the cloud APIs vpndiag calls, all on the shared HTTP layer."""
