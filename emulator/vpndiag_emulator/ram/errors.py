"""RAM and STS refusals, with the vendor's codes and texts.

Sources: STS's AssumeRole error table (OSS help "common errors when you access OSS by using STS",
alibabacloud.com/help/doc-detail/42775.htm: ``NoPermission``, ``InvalidParameter.RoleSessionName``,
``InvalidParameter.DurationSeconds``); ``EntityNotExist.Role`` with the role's ARN in its message,
as STS-backed services quote it ("EntityNotExist.Role The role not exists: acs:ram::...:role/...").
Codes marked "inferred" are not in a table the emulator could read.
"""

from __future__ import annotations


class RamError(Exception):
    """A RAM or STS refusal: the vendor's error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PolicyError(RamError):
    """A policy document RAM would not accept, or one the emulator will not evaluate."""


def malformed_policy(problem: str) -> PolicyError:
    """The document breaks RAM's policy grammar (inferred code: RAM's ``MalformedPolicyDocument``)."""
    return PolicyError("MalformedPolicyDocument", f"The policy document is malformed: {problem}")


def unsupported_policy(problem: str) -> PolicyError:
    """Valid RAM, but outside what the emulator evaluates: refused rather than guessed at.

    Emulator-specific code: allowing what the cloud might refuse would hide missing grants.
    """
    return PolicyError("Emulator.UnsupportedPolicy", f"The emulator does not evaluate {problem}")


def role_exists(name: str) -> RamError:
    """``CreateRole`` with a name the account already uses (inferred: RAM's ``EntityAlreadyExists.Role``)."""
    return RamError("EntityAlreadyExists.Role", f"The role already exists: {name}")


def role_not_found(what: str) -> RamError:
    """No such role; ``what`` is its name or ARN."""
    return RamError("EntityNotExist.Role", f"The role not exists: {what}")


def invalid_role_name(name: str) -> RamError:
    """A role name RAM rejects: 1 to 64 letters, digits, ``.``, ``-`` or ``_`` (inferred code)."""
    return RamError(
        "InvalidParameter.RoleName", f"The parameter RoleName is wrongly formed: {name!r}"
    )


def invalid_max_session_duration(seconds: int, minimum: int, maximum: int) -> RamError:
    """MaxSessionDuration outside the documented range (inferred code)."""
    return RamError(
        "InvalidParameter.MaxSessionDuration",
        f"The parameter MaxSessionDuration must be {minimum} to {maximum}; got {seconds}.",
    )


def invalid_role_arn(arn: str) -> RamError:
    """A RoleArn that is not ``acs:ram::<account>:role/<name>`` (inferred code)."""
    return RamError("InvalidParameter.RoleArn", f"The parameter RoleArn is wrongly formed: {arn!r}")


def invalid_session_name(name: str) -> RamError:
    """RoleSessionName outside ``^[a-zA-Z0-9.@\\-_]+$``, 2-32 characters."""
    return RamError(
        "InvalidParameter.RoleSessionName",
        f"The parameter RoleSessionName is wrongly formed: {name!r}",
    )


def invalid_duration(seconds: int, maximum: int) -> RamError:
    """DurationSeconds outside 900 to the role's maximum session duration."""
    return RamError(
        "InvalidParameter.DurationSeconds",
        f"The Min/Max value of DurationSeconds is 15min/{maximum // 3600}hr; got {seconds}.",
    )


def caller_not_authorized() -> RamError:
    """The caller's own policies do not grant ``sts:AssumeRole`` on the role."""
    return RamError(
        "NoPermission", "You are not authorized to do this action. You should be authorized by RAM."
    )


def role_does_not_trust() -> RamError:
    """The role's trust policy does not name the caller (or its external id is wrong)."""
    return RamError(
        "NoPermission",
        "No permission perform sts:AssumeRole on this Role. Maybe you are not authorized to "
        "perform sts:AssumeRole or the specified role does not trust you",
    )
