"""No SecureString plaintext anywhere under the data dir: database, SQLite WAL, audit, logs."""

from __future__ import annotations

import secrets
from typing import Any

from tests.support.at_rest import places_holding
from tests.support.server import ServerProcess


def test_secure_string_plaintexts_never_reach_the_disk(ssm: Any, server: ServerProcess, prefix: str) -> None:
    plaintexts = [f"PLAINTEXT-{secrets.token_hex(16)}" for _ in range(4)]
    ssm.put_parameter(Name=f"{prefix}/std", Value=plaintexts[0], Type="SecureString")
    ssm.put_parameter(Name=f"{prefix}/std", Value=plaintexts[1], Overwrite=True)
    ssm.put_parameter(
        Name=f"{prefix}/adv", Value=plaintexts[2] + "x" * 5000, Type="SecureString", Tier="Advanced"
    )
    ssm.put_parameter(
        Name=f"{prefix}/it", Value=plaintexts[3], Type="SecureString", Tier="Intelligent-Tiering"
    )
    ssm.label_parameter_version(Name=f"{prefix}/std", ParameterVersion=1, Labels=["old"])
    assert (
        ssm.get_parameter(Name=f"{prefix}/std:old", WithDecryption=True)["Parameter"]["Value"]
        == plaintexts[0]
    )
    got = ssm.get_parameters_by_path(Path=prefix, WithDecryption=True)["Parameters"]
    assert len(got) == 3
    ssm.get_parameter_history(Name=f"{prefix}/std", WithDecryption=True)
    assert places_holding(server, [p.encode() for p in plaintexts]) == []
