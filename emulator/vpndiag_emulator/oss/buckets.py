"""OSS bucket operations over the wire: PutBucket, GetBucketInfo, DeleteBucket.

What a user's own tooling (``oss2.Bucket.create_bucket``, ``get_bucket_info``, ``delete_bucket``)
sends to create and inspect the bucket it then writes to, as with moto. Sources: the OSS API
reference (PutBucket, GetBucketInfo, DeleteBucket) and the 409 error page
(https://www.alibabacloud.com/help/en/oss/user-guide/http-status-code-409): a taken name answers
409 ``BucketAlreadyExists``; deleting a bucket that holds objects answers 409 ``BucketNotEmpty``.

Inferred (not settled by the pages): re-creating one's own bucket in its own region answers 200,
as the S3-compatible services do; the emulator does not model bucket names taken by other accounts.
"""

from __future__ import annotations

from typing import Final
from xml.etree import ElementTree

from vpndiag_emulator.core.wire import EmulatedResponse

from . import errors
from .responses import Handler, OssCall, render_xml

_STORAGE_CLASSES: Final = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
_ACLS: Final = ("private", "public-read", "public-read-write")


def put_bucket(call: OssCall) -> EmulatedResponse:
    """PutBucket: an empty bucket in the region the request was signed for."""
    acl = call.request.header("x-oss-acl") or "private"
    if acl not in _ACLS:
        raise errors.invalid_argument("no such bucket access control exists", "x-oss-acl", acl)
    storage_class = _storage_class(call.request.body)
    # Re-creating one's own bucket changes nothing (inferred, see the module doc).
    call.backend.create_bucket(call.bucket, acl=acl, storage_class=storage_class)
    return EmulatedResponse(status=200, headers={"Location": f"/{call.bucket}"})


def get_bucket_info(call: OssCall) -> EmulatedResponse:
    """GetBucketInfo (``GET /?bucketInfo``): name, region, owner, ACL, storage class."""
    info = call.backend.bucket_info(call.bucket)
    root = ElementTree.Element("BucketInfo")
    bucket = ElementTree.SubElement(root, "Bucket")
    region = call.backend.region
    for tag, text in (
        ("CreationDate", info.created.strftime("%Y-%m-%dT%H:%M:%S.000Z")),
        ("ExtranetEndpoint", f"oss-{region}.aliyuncs.com"),
        ("IntranetEndpoint", f"oss-{region}-internal.aliyuncs.com"),
        ("Location", f"oss-{region}"),
        ("Name", call.bucket),
        ("StorageClass", info.storage_class),
    ):
        ElementTree.SubElement(bucket, tag).text = text
    owner = ElementTree.SubElement(bucket, "Owner")
    ElementTree.SubElement(owner, "ID").text = call.backend.account_id
    ElementTree.SubElement(owner, "DisplayName").text = call.backend.account_id
    policy = ElementTree.SubElement(bucket, "AccessControlList")
    ElementTree.SubElement(policy, "Grant").text = info.acl
    return EmulatedResponse(
        status=200, body=render_xml(root), headers={"Content-Type": "application/xml"}
    )


def delete_bucket(call: OssCall) -> EmulatedResponse:
    """DeleteBucket: 204; a bucket that still holds objects is refused."""
    call.backend.delete_bucket(call.bucket)
    return EmulatedResponse(status=204)


def _storage_class(body: bytes) -> str:
    """The ``CreateBucketConfiguration/StorageClass`` of a PutBucket body (Standard if none)."""
    if not body.strip():
        return "Standard"
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - the emulator parses its own clients' XML
    except ElementTree.ParseError:
        raise errors.OssError(
            400, "MalformedXML", "The XML you provided was not well-formed."
        ) from None
    found = root.findtext("StorageClass") or "Standard"
    if found not in _STORAGE_CLASSES:
        raise errors.invalid_argument("Invalid storage class", "StorageClass", found)
    return found


BUCKET_HANDLERS: Final[dict[tuple[str, str], tuple[str, Handler]]] = {
    ("PUT", ""): ("PutBucket", put_bucket),
    ("GET", "bucketInfo"): ("GetBucketInfo", get_bucket_info),
    ("DELETE", ""): ("DeleteBucket", delete_bucket),
}
"""(method, sub-resource) -> operation, for requests that name a bucket and no key."""
