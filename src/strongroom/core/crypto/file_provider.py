"""The `file` root of trust: a 256-bit key in ``<data_dir>/root.key``.

The default provider. The key is created on first start (random, mode 0600, atomically) and
read on every later start; the file is refused if group or other may access it. Whoever can
read the file can open every secret, so back it up the way you would back up a CA key, and
prefer `passphrase` or `pkcs11` where the data directory may be copied (shared volumes,
backups, snapshots).
"""

from __future__ import annotations

import pathlib

from strongroom.core.crypto.aead import random_key
from strongroom.core.crypto.errors import RootKeyUnavailable
from strongroom.core.crypto.root import ROOT_KEY_SIZE, UnsealedRoot, create_root_file, read_root_file

__all__ = ["ROOT_KEY_FILE", "open_file_root"]

ROOT_KEY_FILE = "root.key"


def open_file_root(data_dir: pathlib.Path) -> UnsealedRoot:
    """Read the root key from `data_dir`/root.key, creating it on first start."""
    path = data_dir / ROOT_KEY_FILE
    key = read_root_file(path)
    if key is None:
        key = create_root_file(path, random_key(ROOT_KEY_SIZE * 8))
    if len(key) != ROOT_KEY_SIZE:
        raise RootKeyUnavailable(
            f"{path} holds {len(key)} bytes, not a {ROOT_KEY_SIZE}-byte root key; "
            "restore it from a backup (a new key would not open existing secrets)"
        )
    return UnsealedRoot("file", key)
