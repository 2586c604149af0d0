"""Import tokens: the wrapping key's private half, sealed and bound to one KMS key for 24 hours.

The private wrapping key never touches the database: it travels inside the token, sealed under
the root of trust with purpose ``kms/import-token`` and the key ARN as the record. A token
therefore opens only for the key it was issued for, only on a server holding this root of
trust, and not at all once a byte of it changed. It also carries the wrapping algorithm and
wrapping key spec the importer was told to use, and its expiry (AWS: 24 hours).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from strongroom.core.crypto import RootOfTrust, SealError

TOKEN_PURPOSE = "kms/import-token"
TOKEN_LIFETIME = timedelta(hours=24)


class InvalidImportToken(Exception):
    """Not a token of ours, altered, or issued for another key."""


@dataclass(frozen=True)
class ImportToken:
    key_arn: str
    algorithm: str
    wrapping_key_spec: str
    valid_to: datetime
    wrapping_private_key: bytes  # PKCS#8 DER

    def __repr__(self) -> str:  # never show the private key
        return (
            f"ImportToken(key_arn={self.key_arn!r}, algorithm={self.algorithm!r}, valid_to={self.valid_to})"
        )


def seal_token(root: RootOfTrust, token: ImportToken) -> bytes:
    body = json.dumps(
        {
            "arn": token.key_arn,
            "alg": token.algorithm,
            "spec": token.wrapping_key_spec,
            "valid_to": token.valid_to.astimezone(UTC).isoformat(),
            "key": base64.b64encode(token.wrapping_private_key).decode("ascii"),
        },
        separators=(",", ":"),
    ).encode()
    return root.seal(body, purpose=TOKEN_PURPOSE, record=token.key_arn)


def open_token(root: RootOfTrust, sealed: bytes, key_arn: str) -> ImportToken:
    """The token issued for `key_arn`; anything else raises `InvalidImportToken`."""
    try:
        body = json.loads(root.open(sealed, purpose=TOKEN_PURPOSE, record=key_arn))
        return ImportToken(
            key_arn=str(body["arn"]),
            algorithm=str(body["alg"]),
            wrapping_key_spec=str(body["spec"]),
            valid_to=datetime.fromisoformat(body["valid_to"]),
            wrapping_private_key=base64.b64decode(body["key"]),
        )
    except (SealError, ValueError, KeyError, TypeError):
        raise InvalidImportToken() from None
