"""ROS error answers, with the codes, status and messages of the ROS API reference.

Sources: the error tables of CreateStack (``StackExists`` 409, ``InvalidSchema``,
``StackValidationFailed``, ``ActionInProgress`` 409 ...), GetStack (``StackNotFound`` 404),
ValidateTemplate (``InvalidTemplate``) in the vendor's API reference (AlibabaCloudDocs/ros,
``intl.en-US/API Reference``), and ROS's common error codes (``InvalidParameter``). A code marked
"inferred" is not in those pages.
"""

from __future__ import annotations

from vpndiag_emulator.core.acs_errors import AcsError


def stack_not_found(name: str) -> AcsError:
    """No such stack (GetStack's table: 404 ``StackNotFound``)."""
    return AcsError(404, "StackNotFound", f"The Stack ({name}) could not be found.")


def stack_exists(name: str) -> AcsError:
    """A live stack already has this name (CreateStack's table: 409 ``StackExists``)."""
    return AcsError(409, "StackExists", f"The Stack ({name}) already exists.")


def action_in_progress(name: str, action: str) -> AcsError:
    """The stack is mid-operation (CreateStack's table: 409 ``ActionInProgress``)."""
    return AcsError(
        409, "ActionInProgress", f"Stack {name} already has an action ({action}) in progress."
    )


def invalid_template(code: str, reason: str) -> AcsError:
    """A template ROS refuses: ``code`` is the validator's (``InvalidTemplate`` for
    ValidateTemplate's own format errors, ``InvalidSchema``, ``StackValidationFailed``, ...)."""
    return AcsError(400, code, f"{reason}.")


def invalid_parameter(name: str, reason: str) -> AcsError:
    """ROS's common ``InvalidParameter`` with a reason ("The specified parameter {name} is
    invalid, {reason}.")."""
    return AcsError(
        400, "InvalidParameter", f"The specified parameter {name} is invalid, {reason}."
    )


def resource_not_found(logical_id: str, stack_name: str) -> AcsError:
    """GetStackResource of a logical id the stack lacks (inferred code and message, by analogy
    with ``StackNotFound``: the page consulted lists no error for it)."""
    return AcsError(
        404,
        "ResourceNotFound",
        f"The Resource ({logical_id}) could not be found in Stack {stack_name}.",
    )
