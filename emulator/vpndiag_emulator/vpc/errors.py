"""VPC error answers, with the status codes and message texts of the public API reference.

Codes marked "inferred" are not in the documentation the emulator was written from; they follow
the product's naming pattern and are there so the situation produces an error rather than success.
"""

from __future__ import annotations

from vpndiag_emulator.core.acs_errors import AcsError


def param_error() -> AcsError:
    """A malformed parameter value (e.g. RegionId, DiagnoseId): the documented text, verbatim."""
    return AcsError(400, "param_error", "The param is must be in ...")


def missing_diagnose_info() -> AcsError:
    """GetVpnGatewayDiagnoseResult with neither DiagnoseId nor VpnGatewayId."""
    return AcsError(
        400,
        "MissingParam.DiagnoseInfo",
        "The VPN gateway ID and diagnose ID cannot be empty at the same time.",
    )


def gateway_configuring() -> AcsError:
    """The gateway is ``updating``: retry later."""
    return AcsError(400, "VpnGateway.Configuring", "The specified service is configuring.")


def diagnose_timeout() -> AcsError:
    """The diagnosis ended without a result."""
    return AcsError(400, "IncorrectStatus.DiagnoseTimeout", "Diagnose failed because of timeout.")


def connection_deleted() -> AcsError:
    """The diagnosed connection was deleted before the diagnosis finished."""
    return AcsError(
        400,
        "IncorrectStatus.VpnConnectionDeleted",
        "Diagnose failed because the VPN connection has been deleted.",
    )


def diagnose_not_found(diagnose_id: str) -> AcsError:
    """No diagnosis with this id in the account and region."""
    return AcsError(
        404,
        "InvalidDiagnoseId.NotFound",
        f"The specified diagnose ID [{diagnose_id}] does not exist.",
    )


def gateway_without_diagnoses(gateway_id: str) -> AcsError:
    """The gateway exists but was never diagnosed."""
    return AcsError(
        404,
        "InvalidVpnGatewayId.NotFound",
        f"The specified VPN gateway [{gateway_id}] does not have any diagnoses.",
    )


def gateway_not_found() -> AcsError:
    """No such gateway in the account and region."""
    return AcsError(
        404,
        "InvalidVpnGatewayInstanceId.NotFound",
        "The specified vpn gateway instance id does not exist.",
    )


def idempotent_mismatch() -> AcsError:
    """A ClientToken reused with different parameters."""
    return AcsError(
        400,
        "IdempotentParameterMismatch",
        "The request uses the same client token as a previous, but non-identical request. "
        "Do not reuse a client token with different requests, unless the requests are identical.",
    )


def diagnosis_unsupported() -> AcsError:
    """The gateway's version cannot run diagnoses."""
    return AcsError(
        400,
        "OperationUnsupported.DiagnoseVpn",
        "Current version of the VPN does not support diagnose.",
    )


def illegal_resource_type() -> AcsError:
    """ResourceType other than IPsec (inferred: the reference shows only ``IllegalParam.Resou…``)."""
    return AcsError(400, "IllegalParam.ResourceType", "The param ResourceType is illegal.")


def illegal_extend_info() -> AcsError:
    """IPsecExtendInfo that is not a JSON object of IPv4 addresses (inferred)."""
    return AcsError(400, "IllegalParam.IPsecExtendInfo", "The param IPsecExtendInfo is illegal.")


def connection_not_found() -> AcsError:
    """No such live IPsec connection on the gateway (inferred, by analogy with the gateway's)."""
    return AcsError(
        404,
        "InvalidVpnConnectionInstanceId.NotFound",
        "The specified vpn connection instance id does not exist.",
    )


def last_token_processing() -> AcsError:
    """A ClientToken re-sent while its first request is still being processed.

    403 and the text of the public error tables (e.g. the ECS API reference's error codes:
    ``403 LastTokenProcessing The last token request is processing.``); that DiagnoseVpnGateway
    answers it for an in-flight token is inferred.
    """
    return AcsError(403, "LastTokenProcessing", "The last token request is processing.")


def customer_gateway_not_found() -> AcsError:
    """DescribeCustomerGateway of an id that does not exist here (inferred code and text)."""
    return AcsError(
        404,
        "InvalidCustomerGatewayInstanceId.NotFound",
        "The specified customer gateway instance id does not exist.",
    )
