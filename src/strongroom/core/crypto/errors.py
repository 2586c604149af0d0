"""The errors of the crypto kernel.

The tree::

    CryptoError                 any failure of the crypto kernel
    ├── SealError               a sealed or AEAD-encrypted value cannot be opened (says nothing more)
    └── RootKeyUnavailable      the root of trust cannot be unsealed: the message says what to do

Like pyca/cryptography's ``InvalidTag``, `SealError` carries one fixed message: whether the
value was tampered with, truncated, moved to another record or purpose, or sealed under
another root key, the caller learns only that it does not open. `RootKeyUnavailable` is
raised at start-up and speaks to the operator; its messages name files, environment
variables and token labels, never a key, passphrase or PIN.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Any failure of the crypto kernel."""


class SealError(CryptoError):
    """A sealed or AEAD-encrypted value cannot be opened: tampered, misplaced or under another key."""

    def __init__(self) -> None:
        super().__init__("the sealed value cannot be opened")


class RootKeyUnavailable(CryptoError):
    """The root of trust cannot be unsealed; the message tells the operator what to do."""
