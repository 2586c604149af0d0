"""The EventBridge events AWS KMS sends about keys (source ``aws.kms``, on the default bus).

- ``KMS CMK Rotation``: the scheduler rotated a key's material automatically.
- ``KMS Imported Key Material Expiration``: imported material reached its ValidTo and was deleted.
- ``KMS CMK Deletion``: the waiting period of a key scheduled for deletion ended; the key is gone.

Detail ``{"key-id": "<key id>"}``, resources ``[<key ARN>]``, as AWS. They are published in the
transaction that makes the change, so an event exists exactly when the change happened.
"""

from __future__ import annotations

from sqlalchemy import Connection

from strongroom.core.kernel import Kernel
from strongroom.services.kms.keys import Key

ROTATION = "KMS CMK Rotation"
MATERIAL_EXPIRATION = "KMS Imported Key Material Expiration"
DELETION = "KMS CMK Deletion"


def publish_key_event(conn: Connection, kernel: Kernel, key: Key, detail_type: str) -> None:
    events = getattr(kernel, "events", None)
    if events is not None:
        events.publish(
            key.account_id, key.region, "aws.kms", detail_type, {"key-id": key.key_id}, [key.arn], conn=conn
        )
