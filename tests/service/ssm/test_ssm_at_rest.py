"""No SecureString plaintext anywhere under the data dir: database, SQLite WAL, audit, logs."""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path
from typing import Any


def test_secure_string_plaintexts_never_reach_the_disk(ssm: Any, data_dir: Path, prefix: str) -> None:
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
    time.sleep(1.0)  # the audit trail writes in batches within 0.2 s

    needles = [p.encode() for p in plaintexts] + [base64.b64encode(p.encode()) for p in plaintexts]
    scanned = 0
    for path in data_dir.parent.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes()
        scanned += 1
        for needle in needles:
            assert needle not in content, f"a plaintext was found in {path}"
    assert scanned >= 3
    assert any(p.name.endswith("-wal") for p in data_dir.rglob("*"))
