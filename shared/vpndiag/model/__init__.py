"""Typed views of the VPC diagnosis API response and of the archived diagnosis summary."""
