"""Import tokens are sealed and bound to one key; imported material ids are derived, not random."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from strongroom.aws.errors import AWSError
from strongroom.core.crypto import UnsealedRoot
from strongroom.services.kms.import_tokens import ImportToken, InvalidImportToken, open_token, seal_token
from strongroom.services.kms.imported_material import check_material, material_id_of
from strongroom.services.kms.keys import Key

ARN = "arn:aws:kms:us-east-1:760000000002:key/11111111-2222-3333-4444-555555555555"


def key(key_id: str = "11111111-2222-3333-4444-555555555555", spec: str = "SYMMETRIC_DEFAULT") -> Key:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    return Key(
        account_id="760000000002", region="us-east-1", key_id=key_id, arn=ARN, description="",
        key_usage="ENCRYPT_DECRYPT", key_spec=spec, origin="EXTERNAL", key_manager="CUSTOMER",
        aws_owned=False, state="PendingImport", created_at=now, deletion_date=None,
        pending_window_days=None, policy="{}", multi_region=False, multi_region_key_type=None,
        primary_region=None, rotation_enabled=False, rotation_period_days=None, next_rotation_at=None,
        valid_to=None, expiration_model=None, custom_key_store_id=None, xks_key_id=None,
    )  # fmt: skip


@pytest.fixture
def root() -> UnsealedRoot:
    return UnsealedRoot("test", os.urandom(32))


def token() -> ImportToken:
    return ImportToken(
        ARN, "RSAES_OAEP_SHA_256", "RSA_2048", datetime(2026, 11, 2, tzinfo=UTC), b"private-der"
    )


def test_a_token_opens_for_its_key_only(root: UnsealedRoot) -> None:
    sealed = seal_token(root, token())
    assert b"private-der" not in sealed
    assert open_token(root, sealed, ARN) == token()
    with pytest.raises(InvalidImportToken):
        open_token(root, sealed, ARN.replace("5555", "6666"))
    tampered = bytearray(sealed)
    tampered[-5] ^= 1
    with pytest.raises(InvalidImportToken):
        open_token(root, bytes(tampered), ARN)
    with pytest.raises(InvalidImportToken):
        open_token(UnsealedRoot("other", os.urandom(32)), sealed, ARN)
    assert "private" not in repr(token())


def test_material_ids_are_derived_from_key_and_material() -> None:
    material = os.urandom(32)
    assert material_id_of(key(), material) == material_id_of(key(), material)
    assert material_id_of(key(), material) != material_id_of(key(), os.urandom(32))
    assert material_id_of(key(), material) != material_id_of(key("mrk-" + "0" * 32), material)
    assert len(material_id_of(key(), material)) == 32


@pytest.mark.parametrize(
    ("spec", "size", "ok"),
    [
        ("SYMMETRIC_DEFAULT", 32, True),
        ("SYMMETRIC_DEFAULT", 16, False),
        ("HMAC_224", 28, True),
        ("HMAC_256", 65, False),
        ("HMAC_512", 128, True),
        ("HMAC_384", 47, False),
    ],
)
def test_material_sizes(spec: str, size: int, ok: bool) -> None:
    if ok:
        check_material(key(spec=spec), os.urandom(size))
        return
    with pytest.raises(AWSError) as err:
        check_material(key(spec=spec), os.urandom(size))
    assert err.value.code == "ValidationException"
