"""OSS error answers, with the codes, statuses and messages the real service uses.

An ``OssError`` carries extra XML elements (``fields``) where OSS adds them: the string to sign of a
``SignatureDoesNotMatch``, the key of a ``NoSuchKey``, the times of a ``RequestTimeTooSkewed``.
``EC`` (OSS's detailed error code) is given only where its value is known.
"""

from __future__ import annotations

from collections.abc import Mapping


class OssError(Exception):
    """An error answer: status, code, message and the extra elements of its XML body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: Mapping[str, str] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.detail = detail
        """Emulator-only explanation for the request log; never sent."""


def access_denied(message: str, detail: str | None = None) -> OssError:
    """Anonymous request, a key without permission, or V1 signing (closed to new buckets here)."""
    return OssError(403, "AccessDenied", message, detail=detail)


def invalid_access_key(key_id: str) -> OssError:
    """No such access key."""
    return OssError(
        403,
        "InvalidAccessKeyId",
        "The OSS Access Key Id you provided does not exist in our records.",
        fields={"OSSAccessKeyId": key_id},
    )


def invalid_security_token(problem: str) -> OssError:
    """An STS key without its token, or with another one (code inferred; not in the table)."""
    return OssError(
        403, "InvalidSecurityToken", "The security token you provided is invalid.", detail=problem
    )


def signature_mismatch(
    key_id: str, provided: str, string_to_sign: str, canonical_request: str
) -> OssError:
    """The V4 signature differs; OSS returns what it signed so a client can find the difference."""
    return OssError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        fields={
            "OSSAccessKeyId": key_id,
            "SignatureProvided": provided,
            "StringToSign": string_to_sign,
            "CanonicalRequest": canonical_request,
        },
        detail=f"server canonical request:\n{canonical_request}",
    )


def time_too_skewed(request_time: str, server_time: str) -> OssError:
    """``x-oss-date`` more than 15 minutes away from the emulator's clock."""
    return OssError(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        fields={
            "RequestTime": request_time,
            "ServerTime": server_time,
            "MaxAllowedSkewMilliseconds": "900000",
        },
    )


def invalid_argument(message: str, name: str | None = None, value: str | None = None) -> OssError:
    """A malformed header or parameter."""
    fields = {"ArgumentName": name, "ArgumentValue": value or ""} if name else None
    return OssError(400, "InvalidArgument", message, fields=fields)


def invalid_digest(message: str) -> OssError:
    """``Content-MD5`` malformed or not the body's (OSS uses one code for both)."""
    return OssError(400, "InvalidDigest", message)


def no_such_bucket(bucket: str) -> OssError:
    """The bucket does not exist in this account and region."""
    return OssError(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist.",
        fields={"BucketName": bucket, "EC": "0015-00000101"},
    )


def no_such_key(key: str) -> OssError:
    """The object does not exist."""
    return OssError(
        404,
        "NoSuchKey",
        "The specified key does not exist.",
        fields={"Key": key, "EC": "0026-00000001"},
    )


def file_already_exists() -> OssError:
    """``x-oss-forbid-overwrite: true`` and the object exists."""
    return OssError(
        409,
        "FileAlreadyExists",
        "The object you specified already exists and can not be overwritten.",
        fields={"EC": "0016-00000708"},
    )


def second_level_domain_forbidden() -> OssError:
    """Path-style request to a real OSS endpoint: only virtual-hosted style is served."""
    return OssError(403, "SecondLevelDomainForbidden", "Please use virtual hosted style to access.")


def not_implemented(what: str) -> OssError:
    """An operation the emulator does not provide; the code says plainly that it is the emulator's."""
    return OssError(501, "Emulator.NotImplemented", f"The emulator does not implement {what}.")
