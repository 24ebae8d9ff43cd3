"""SLS error answers: JSON ``{"errorCode", "errorMessage"}``, with the published codes and texts.

Where the published tables name no code for a check the emulator makes, the constructor says the
code is inferred.
"""

from __future__ import annotations


class SlsError(Exception):
    """An error answer: HTTP status, error code and message."""

    def __init__(self, status: int, code: str, message: str, *, detail: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        """Emulator-only explanation for the request log; never sent."""


def unauthorized(message: str) -> SlsError:
    """Unknown key, STS token problem, or an action the key may not call."""
    return SlsError(401, "Unauthorized", message)


def signature_mismatch(provided: str, string_to_sign: str) -> SlsError:
    """The signature differs from the one computed over what was received."""
    return SlsError(
        401,
        "SignatureNotMatch",
        f"signature {provided} not match",
        detail=f"server string to sign:\n{string_to_sign}",
    )


def request_time_expired(sent: str, now: str) -> SlsError:
    """The request's time is more than 15 minutes from the emulator's clock."""
    return SlsError(
        400,
        "RequestTimeExpired",
        f"request time {sent} has been expired while server time is {now}",
    )


def invalid_date(value: str) -> SlsError:
    """``Date`` (or ``x-log-date``) is not a date SLS reads."""
    return SlsError(400, "InvalidDateFormat", f"Date {value} must follow RFC822.")


def missing_date() -> SlsError:
    """Neither ``Date`` nor ``x-log-date``."""
    return SlsError(400, "MissingDate", "Date does not exist in http header.")


def invalid_content_md5(declared: str) -> SlsError:
    """``Content-MD5`` is not the body's (code inferred: the published tables name none)."""
    return SlsError(400, "InvalidContentMD5", f"Content-MD5 {declared} does not match the body.")


def invalid_content_type(value: str) -> SlsError:
    """PutLogs takes ``application/x-protobuf`` only."""
    return SlsError(415, "InvalidContentType", f"Content-Type {value} is unsupported.")


def missing_raw_size() -> SlsError:
    """PutLogs without ``x-log-bodyrawsize``."""
    return SlsError(
        400,
        "MissingBodyRawSize",
        "x-log-bodyrawsize does not exist in header when it is necessary.",
    )


def invalid_raw_size(detail: str) -> SlsError:
    """``x-log-bodyrawsize`` is not a size, or not the size the body decompresses to."""
    return SlsError(400, "InvalidBodyRawSize", "x-log-bodyrawsize is invalid.", detail=detail)


def invalid_compress_type(value: str) -> SlsError:
    """``x-log-compresstype`` other than ``lz4`` or ``deflate``."""
    return SlsError(400, "InvalidCompressType", f"x-log-compresstype {value} is unsupported.")


def post_body_too_large(message: str) -> SlsError:
    """Over 4096 logs or 3 MB of raw body in one request."""
    return SlsError(413, "PostBodyTooLarge", message)


def post_body_invalid(message: str) -> SlsError:
    """Not a LogGroup, or a log that fails the whole request (its time out of range: inferred)."""
    return SlsError(400, "PostBodyInvalid", message)


def parameter_invalid(message: str) -> SlsError:
    """A GetLogs parameter out of range, or a query the emulator cannot read."""
    return SlsError(400, "ParameterInvalid", message)


def project_not_exist(project: str) -> SlsError:
    """No such project in this account and region."""
    return SlsError(404, "ProjectNotExist", f"The Project does not exist : {project}")


def logstore_not_exist(logstore: str) -> SlsError:
    """No such logstore in the project."""
    return SlsError(404, "LogStoreNotExist", f"logstore {logstore} does not exist")


def not_implemented(what: str) -> SlsError:
    """An operation the emulator does not provide; the code says plainly that it is the emulator's."""
    return SlsError(501, "Emulator.NotImplemented", f"The emulator does not implement {what}.")
