"""The RAM action and resource ARN of each emulated OSS operation.

OSS's RAM reference ("Authorization syntax and elements", alibabacloud.com/help/en/oss/user-guide/
authorization-syntax-and-elements): object operations are authorised on
``acs:oss:{region}:{account}:{bucket}/{object}`` and bucket operations (``oss:ListObjects``,
``oss:GetBucketInfo``, ...) on ``acs:oss:{region}:{account}:{bucket}``; OSS writes the region as
``*`` (bucket names are global). API names map to RAM actions one to one except those below.
"""

from __future__ import annotations

from typing import Final

_RAM_ACTIONS: Final = {
    # HeadObject reads an object's metadata under the GetObject permission (inferred from the
    # page's object table, which lists no oss:HeadObject).
    "HeadObject": "oss:GetObject",
    "ListObjectsV2": "oss:ListObjects",
}


def ram_action(action: str) -> str:
    """The RAM action of an emulated operation (``PutObject`` -> ``oss:PutObject``)."""
    return _RAM_ACTIONS.get(action, f"oss:{action}")


def resource(account: str, bucket: str, key: str) -> str:
    """The object's ARN, or the bucket's for bucket operations (``key`` empty)."""
    if key:
        return f"acs:oss:*:{account}:{bucket}/{key}"
    return f"acs:oss:*:{account}:{bucket}"
