"""The RAM resource of an FC 2.0 invocation, and FC's refusals for STS keys.

``fc:InvokeFunction`` on ``acs:fc:{region}:{account}:services/{service}/functions/{function}``
(FC permission list, alibabacloud.com/help/doc-detail/317666.htm, RAM code ``fc``). Inferred: a
call through a qualifier (``/services/{service}.{qualifier}/...``) is authorised on
``services/{service}.{qualifier}/functions/{function}``, the form FC uses for qualified ARNs.
"""

from __future__ import annotations

from typing import Final

from . import errors

RAM_ACTION: Final = "fc:InvokeFunction"


def resource(region: str, account: str, service: str, qualifier: str | None, function: str) -> str:
    """The ARN an invocation is authorised on."""
    addressed = f"{service}.{qualifier}" if qualifier else service
    return f"acs:fc:{region}:{account}:services/{addressed}/functions/{function}"


def denied(arn: str) -> errors.FcApiError:
    """403 AccessDenied ("AccessDenied %s" on FC's error page; the wording is inferred)."""
    return errors.FcApiError(
        403, "AccessDenied", f"the caller is not authorized to perform '{RAM_ACTION}' on '{arn}'"
    )


def token_expired() -> errors.FcApiError:
    """An STS key past its expiry: FC's token error (inferred for expiry)."""
    return errors.invalid_security_token("the security token has expired")
