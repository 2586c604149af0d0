"""SOPS as a judge: `sops --kms <key ARN>` encrypts a YAML file through the server and decrypts it back.

SOPS (getsops/sops, Go, aws-sdk-go-v2) honours AWS_ENDPOINT_URL_KMS. It is not a Python package:
`.ci/install-sops` installs it where it can; without a `sops` binary these tests are skipped.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ACCOUNT = "780000000002"
REGION = "us-east-1"
SECRETS = "database:\n  user: admin\n  password: correct-horse-battery-staple\nport: 5432\n"


def _sops() -> str:
    found = shutil.which("sops") or shutil.which("sops", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("sops is not installed (.ci/install-sops installs it)")
    return found


@pytest.fixture(scope="module")
def kms(make_client: Any) -> Any:
    return make_client("kms", region=REGION, access_key=ACCOUNT)


def run_sops(endpoint: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "SOPS_")) and key != "AWS_PROFILE"
    }
    env.update(
        {
            "AWS_ENDPOINT_URL_KMS": endpoint,
            "AWS_ACCESS_KEY_ID": ACCOUNT,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": str(cwd),
        }
    )
    return subprocess.run(
        [_sops(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def encrypt(endpoint: str, tmp_path: Path, key_arn: str, *extra: str) -> str:
    source = tmp_path / "secrets.yaml"
    source.write_text(SECRETS)
    done = run_sops(endpoint, tmp_path, "--encrypt", "--kms", key_arn, *extra, str(source))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sops_encrypts_with_a_kms_key_and_decrypts_back(endpoint: str, kms: Any, tmp_path: Path) -> None:
    key = kms.create_key(Description="sops")["KeyMetadata"]
    encrypted = encrypt(endpoint, tmp_path, key["Arn"], "--encryption-context", "app:strongroom")
    assert "correct-horse-battery-staple" not in encrypted and "ENC[AES256_GCM," in encrypted
    assert key["Arn"] in encrypted
    sealed = tmp_path / "secrets.enc.yaml"
    sealed.write_text(encrypted)

    done = run_sops(endpoint, tmp_path, "--decrypt", str(sealed))
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout) == yaml.safe_load(SECRETS)  # sops re-indents

    # SOPS's data key is a KMS ciphertext: boto3 opens it with the same encryption context.
    [entry] = yaml.safe_load(encrypted)["sops"]["kms"]
    assert entry["arn"] == key["Arn"] and entry["context"] == {"app": "strongroom"}
    opened = kms.decrypt(
        CiphertextBlob=base64.b64decode(entry["enc"]), EncryptionContext={"app": "strongroom"}
    )
    assert opened["KeyId"] == key["Arn"] and len(opened["Plaintext"]) == 32


def test_sops_cannot_decrypt_with_a_disabled_key(endpoint: str, kms: Any, tmp_path: Path) -> None:
    key = kms.create_key(Description="sops disabled")["KeyMetadata"]
    sealed = tmp_path / "secrets.enc.yaml"
    sealed.write_text(encrypt(endpoint, tmp_path, key["Arn"]))
    kms.disable_key(KeyId=key["KeyId"])
    refused = run_sops(endpoint, tmp_path, "--decrypt", str(sealed))
    assert refused.returncode != 0 and "correct-horse-battery-staple" not in refused.stdout
    assert "DisabledException" in refused.stderr
    kms.enable_key(KeyId=key["KeyId"])
    done = run_sops(endpoint, tmp_path, "--decrypt", str(sealed))
    assert done.returncode == 0 and yaml.safe_load(done.stdout) == yaml.safe_load(SECRETS)
