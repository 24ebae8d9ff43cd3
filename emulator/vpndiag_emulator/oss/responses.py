"""OSS operation handlers: read the request, call the backend, answer as OSS does.

Operations: PutObject (``Content-MD5``, ``x-oss-forbid-overwrite``, ``x-oss-meta-*``, server-side
encryption), GetObject, HeadObject, DeleteObject and ListObjectsV2 (prefix, delimiter, start-after,
continuation-token, max-keys, ``encoding-type=url``). Every answer a client may check carries the
headers OSS sends: ``ETag`` (quoted upper-case hex MD5), ``x-oss-hash-crc64ecma``, ``Content-MD5``,
``Last-Modified``. Errors are raised as ``OssError``; the service renders them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Final
from urllib.parse import quote
from xml.etree import ElementTree

from vpndiag_emulator.core.wire import EmulatedRequest, EmulatedResponse

from . import errors
from .models import OssBackend, StoredObject

_META_PREFIX: Final = "x-oss-meta-"
_ENCRYPTIONS: Final = ("AES256", "KMS", "SM4")
_DEFAULT_MAX_KEYS: Final = 100
_MAX_KEYS: Final = 1000


@dataclass(frozen=True)
class OssCall:
    """One authenticated object or bucket operation, as a handler sees it."""

    request: EmulatedRequest
    backend: OssBackend
    bucket: str
    key: str


Handler = Callable[[OssCall], EmulatedResponse]


def _http_date(stored: StoredObject) -> str:
    """``Last-Modified`` in RFC 1123 form (``Wed, 28 Dec 2022 10:27:41 GMT``)."""
    return format_datetime(stored.last_modified, usegmt=True)


def _object_headers(stored: StoredObject) -> dict[str, str]:
    headers = {
        "Content-Type": stored.content_type,
        "ETag": f'"{stored.etag}"',
        "Last-Modified": _http_date(stored),
        "Content-MD5": stored.content_md5,
        "x-oss-hash-crc64ecma": str(stored.crc64),
        "x-oss-object-type": "Normal",
        "x-oss-storage-class": "Standard",
        "Accept-Ranges": "bytes",
    }
    if stored.encryption:
        headers["x-oss-server-side-encryption"] = stored.encryption
    headers.update({_META_PREFIX + name: value for name, value in stored.metadata.items()})
    return headers


def _check_md5(request: EmulatedRequest) -> None:
    declared = request.header("content-md5")
    if declared is None:
        return
    try:
        digest = base64.b64decode(declared, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != 16:
        raise errors.invalid_digest("The Content-MD5 you specified is not valid.")
    if digest != hashlib.md5(request.body, usedforsecurity=False).digest():
        raise errors.invalid_digest("The Content-MD5 you specified did not match what we received.")


def put_object(call: OssCall) -> EmulatedResponse:
    """PutObject: the body under the key; ``x-oss-forbid-overwrite: true`` makes it create-only."""
    request = call.request
    _check_md5(request)
    encryption = request.header("x-oss-server-side-encryption")
    if encryption is not None and encryption not in _ENCRYPTIONS:
        raise errors.OssError(
            400,
            "InvalidEncryptionAlgorithmError",
            "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4",
        )
    forbid = (request.header("x-oss-forbid-overwrite") or "false").strip().lower() == "true"
    stored = call.backend.put_object(
        call.bucket,
        call.key,
        request.body,
        content_type=request.header("content-type") or "application/octet-stream",
        metadata={
            name[len(_META_PREFIX) :]: value
            for name, value in request.headers.items()
            if name.startswith(_META_PREFIX)
        },
        forbid_overwrite=forbid,
        encryption=encryption,
    )
    headers = {
        "ETag": f'"{stored.etag}"',
        "Content-MD5": stored.content_md5,
        "x-oss-hash-crc64ecma": str(stored.crc64),
    }
    if encryption:
        headers["x-oss-server-side-encryption"] = encryption
    return EmulatedResponse(status=200, headers=headers)


def get_object(call: OssCall) -> EmulatedResponse:
    """GetObject: the bytes and the object's headers."""
    stored = call.backend.get_object(call.bucket, call.key)
    return EmulatedResponse(status=200, body=stored.body, headers=_object_headers(stored))


def head_object(call: OssCall) -> EmulatedResponse:
    """HeadObject: GetObject's headers, the object's size in ``Content-Length``, no body.

    Both transports send that ``Content-Length`` as given.
    """
    stored = call.backend.get_object(call.bucket, call.key)
    headers = {**_object_headers(stored), "Content-Length": str(len(stored.body))}
    return EmulatedResponse(status=200, headers=headers)


def delete_object(call: OssCall) -> EmulatedResponse:
    """DeleteObject: 204, whether or not the object existed."""
    call.backend.delete_object(call.bucket, call.key)
    return EmulatedResponse(status=204)


def list_objects_v2(call: OssCall) -> EmulatedResponse:
    """ListObjectsV2 (``list-type=2``): one page of keys and common prefixes."""
    params = dict(call.request.query_params)
    prefix = params.get("prefix", "")
    delimiter = params.get("delimiter", "")
    start_after = params.get("start-after", "")
    encoding = params.get("encoding-type")
    if encoding not in (None, "url"):
        raise errors.invalid_argument(
            "Invalid Encoding Method specified in Request", "encoding-type", encoding
        )
    max_keys = _max_keys(params.get("max-keys"))
    token = params.get("continuation-token")
    # A continuation token supersedes start-after: it already lies past it.
    after = start_after if token is None else _decode_token(token)
    page = call.backend.list_objects(
        call.bucket, prefix=prefix, delimiter=delimiter, after=after, max_keys=max_keys
    )
    encode = (lambda text: quote(text, safe="")) if encoding == "url" else str

    root = ElementTree.Element("ListBucketResult")
    _add(root, "Name", call.bucket)
    _add(root, "Prefix", encode(prefix))
    if start_after:
        _add(root, "StartAfter", encode(start_after))
    if token is not None:
        _add(root, "ContinuationToken", token)
    _add(root, "MaxKeys", str(max_keys))
    if delimiter:
        _add(root, "Delimiter", encode(delimiter))
    if encoding:
        _add(root, "EncodingType", encoding)
    _add(root, "IsTruncated", "true" if page.truncated else "false")
    _add(root, "KeyCount", str(len(page.objects) + len(page.prefixes)))
    if page.truncated:
        _add(root, "NextContinuationToken", _encode_token(page.last))
    for stored in page.objects:
        contents = ElementTree.SubElement(root, "Contents")
        _add(contents, "Key", encode(stored.key))
        _add(contents, "LastModified", stored.last_modified.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        _add(contents, "ETag", f'"{stored.etag}"')
        _add(contents, "Type", "Normal")
        _add(contents, "Size", str(len(stored.body)))
        _add(contents, "StorageClass", "Standard")
    for common in page.prefixes:
        _add(ElementTree.SubElement(root, "CommonPrefixes"), "Prefix", encode(common))
    return EmulatedResponse(
        status=200, body=render_xml(root), headers={"Content-Type": "application/xml"}
    )


def render_xml(root: ElementTree.Element) -> bytes:
    """UTF-8 XML with its declaration, as OSS sends it."""
    # typeshed types tostring() loosely (Any) when an encoding is given.
    return bytes(ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True))


def error_xml(fields: Mapping[str, str]) -> bytes:
    """``<Error>`` with one element per field, in the given order."""
    root = ElementTree.Element("Error")
    for name, value in fields.items():
        _add(root, name, value)
    return render_xml(root)


def _add(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def _max_keys(text: str | None) -> int:
    if text is None:
        return _DEFAULT_MAX_KEYS
    if not text.isdigit() or not 1 <= int(text) <= _MAX_KEYS:
        raise errors.invalid_argument(
            f"max-keys must be an integer within [1, {_MAX_KEYS}].", "max-keys", text
        )
    return int(text)


def _encode_token(last: str) -> str:
    # Opaque to clients, and URL-safe, so that encoding-type=url leaves it unchanged.
    return base64.urlsafe_b64encode(last.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise errors.invalid_argument(
            "The continuation token provided is incorrect.", "continuation-token", token
        ) from None


OBJECT_HANDLERS: Final[Mapping[str, tuple[str, Handler]]] = {
    "PUT": ("PutObject", put_object),
    "GET": ("GetObject", get_object),
    "HEAD": ("HeadObject", head_object),
    "DELETE": ("DeleteObject", delete_object),
}
LIST_OBJECTS_V2: Final = ("ListObjectsV2", list_objects_v2)
