"""Emulated MNS (Simple Message Queue): queues and their messages, no wire API."""
