"""MNS queues of one account in one region: the dead-letter destination of FC's async invocations.

Only the state is emulated (no wire API: nothing in vpndiag talks to MNS directly; the FC platform
sends failure records here). Queue attributes are ROS's ``ALIYUN::MNS::Queue`` properties
(``DelaySeconds``, ``MaximumMessageSize``, ``MessageRetentionPeriod``, ``VisibilityTimeout``,
``PollingWaitSeconds``, ``LoggingEnabled``), kept as given. ``MaximumMessageSize`` is enforced on
send; the default and maximum, 65536 bytes, is the ROS spec's range (1024-65536). The name's
length (1-256) is the ROS spec's too; its characters (letters, digits, hyphens, a letter first) and
the error codes (``QueueAlreadyExist``, ``QueueNotExist``, ``InvalidQueueName``,
``MessageTooLarge``) are inferred from MNS's naming, not checked against its error-code page.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

DEFAULT_MAXIMUM_MESSAGE_SIZE: Final = 65536
_QUEUE_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,255}")


class MnsError(Exception):
    """A refusal of the emulated MNS, with the product's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Message:
    """One message as a consumer would receive it."""

    message_id: str
    body: str
    enqueued_at: datetime


@dataclass
class Queue:
    """A queue: its attributes (as created) and its messages, oldest first."""

    name: str
    attributes: dict[str, object]
    created_at: datetime
    messages: list[Message] = field(default_factory=list)

    @property
    def maximum_message_size(self) -> int:
        value = self.attributes.get("MaximumMessageSize", DEFAULT_MAXIMUM_MESSAGE_SIZE)
        return int(str(value))


class MnsBackend:
    """The MNS queues of one account in one region."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._queues: dict[str, Queue] = {}

    def queue_arn(self, name: str) -> str:
        """The ARN FC destinations name a queue by."""
        return f"acs:mns:{self.region}:{self.account_id}:/queues/{name}/messages"

    def create_queue(self, name: str, **attributes: object) -> Queue:
        """Create ``name`` with ROS's queue attributes (kept as given)."""
        if not _QUEUE_NAME.fullmatch(name):
            raise MnsError("InvalidQueueName", f"the queue name {name!r} is invalid")
        with self._lock:
            if name in self._queues:
                raise MnsError("QueueAlreadyExist", f"the queue {name} already exists")
            queue = self._queues[name] = Queue(name, dict(attributes), self._cloud.clock.now())
        return queue

    def delete_queue(self, name: str) -> None:
        """Delete the queue and its messages."""
        with self._lock:
            if self._queues.pop(name, None) is None:
                raise MnsError("QueueNotExist", f"the queue {name} does not exist")

    def queue(self, name: str) -> Queue | None:
        with self._lock:
            return self._queues.get(name)

    def queues(self) -> list[str]:
        with self._lock:
            return list(self._queues)

    def send_message(self, name: str, body: str) -> Message:
        """Append a message; refused if the queue is missing or the body over its size limit."""
        with self._lock:
            queue = self._queues.get(name)
            if queue is None:
                raise MnsError("QueueNotExist", f"the queue {name} does not exist")
            size = len(body.encode("utf-8"))
            if size > queue.maximum_message_size:
                raise MnsError(
                    "MessageTooLarge",
                    f"message of {size} bytes > MaximumMessageSize {queue.maximum_message_size}",
                )
            message = Message(uuid.uuid4().hex.upper(), body, self._cloud.clock.now())
            queue.messages.append(message)
        return message
