"""The protocol instances by botocore protocol name. Each protocol module registers here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from strongroom.aws.protocols import Protocol

PROTOCOLS: dict[str, Protocol] = {}


def _load() -> None:
    # Imported for their side effect of registering; kept lazy to avoid import cycles.
    import importlib

    for module in ("json_", "rest_json", "query", "ec2", "rest_xml", "rpcv2_cbor"):
        try:
            importlib.import_module(f"strongroom.aws.protocols.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"strongroom.aws.protocols.{module}":
                raise


_load()
