"""Emulated RAM and STS: roles with trust and inline policies, and the evaluation every service runs.

``policy`` parses and evaluates RAM policy documents, ``models`` keeps each account's roles and
``sts`` issues temporary keys for a role. The services ask ``CredentialStore.is_allowed`` with
the RAM action and the resource ARN of each request; keys bound to a role are judged by its
policies.
"""
