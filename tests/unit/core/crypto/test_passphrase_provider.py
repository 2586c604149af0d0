"""The `passphrase` root of trust: derivation, check value, wrong and missing passphrases."""

from __future__ import annotations

import base64
import json
import pathlib
import stat

import pytest

from strongroom.core.crypto import RootKeyUnavailable, open_root_of_trust
from strongroom.core.crypto.passphrase_provider import ScryptParams, open_passphrase_root

PASSPHRASE = "correct horse battery staple"
FAST = ScryptParams(n=2**14, r=8, p=1)  # the minimum the provider accepts; keeps the tests quick


def _env(passphrase: str) -> dict[str, str]:
    return {"STRONGROOM_ROOT_PASSPHRASE": passphrase}


def test_first_start_records_salt_params_and_check_but_no_key(tmp_path: pathlib.Path) -> None:
    root = open_passphrase_root(tmp_path, _env(PASSPHRASE), new_params=FAST)
    record_file = tmp_path / "root.passphrase"
    assert stat.S_IMODE(record_file.stat().st_mode) == 0o600
    record = json.loads(record_file.read_text())
    assert record["format"] == "strongroom-root-passphrase"
    assert (record["kdf"], record["n"], record["r"], record["p"]) == ("scrypt", 2**14, 8, 1)
    assert len(base64.b64decode(record["salt"])) == 16
    assert root.name == "passphrase"
    assert PASSPHRASE not in record_file.read_text()


def test_restart_with_the_same_passphrase_opens_what_was_sealed(tmp_path: pathlib.Path) -> None:
    first = open_passphrase_root(tmp_path, _env(PASSPHRASE), new_params=FAST)
    sealed = first.seal(b"secret", purpose="ssm/parameter", record="/db/password")
    second = open_root_of_trust("passphrase", tmp_path, env=_env(PASSPHRASE))
    assert second.key_id == first.key_id
    assert second.open(sealed, purpose="ssm/parameter", record="/db/password") == b"secret"


def test_the_salt_makes_each_data_dir_different(tmp_path: pathlib.Path) -> None:
    one = open_passphrase_root(tmp_path / "one", _env(PASSPHRASE), new_params=FAST)
    two = open_passphrase_root(tmp_path / "two", _env(PASSPHRASE), new_params=FAST)
    assert one.key_id != two.key_id


def test_default_parameters_through_open_root_of_trust(tmp_path: pathlib.Path) -> None:
    first = open_root_of_trust("passphrase", tmp_path, env=_env(PASSPHRASE))
    record = json.loads((tmp_path / "root.passphrase").read_text())
    assert (record["n"], record["r"], record["p"]) == (2**17, 8, 1)
    assert open_root_of_trust("passphrase", tmp_path, env=_env(PASSPHRASE)).key_id == first.key_id


def test_a_wrong_passphrase_is_refused_without_echoing_it(tmp_path: pathlib.Path) -> None:
    open_passphrase_root(tmp_path, _env(PASSPHRASE), new_params=FAST)
    wrong = "correct horse battery stapler"
    with pytest.raises(RootKeyUnavailable, match="the passphrase is wrong") as caught:
        open_root_of_trust("passphrase", tmp_path, env=_env(wrong))
    assert wrong not in str(caught.value)
    assert PASSPHRASE not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("env", [{}, {"STRONGROOM_ROOT_PASSPHRASE": ""}])
def test_a_missing_passphrase_is_refused(tmp_path: pathlib.Path, env: dict[str, str]) -> None:
    with pytest.raises(RootKeyUnavailable, match="STRONGROOM_ROOT_PASSPHRASE is not set"):
        open_root_of_trust("passphrase", tmp_path, env=env)
    assert not (tmp_path / "root.passphrase").exists()


def test_a_short_passphrase_is_refused_on_first_start(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RootKeyUnavailable, match="shorter than 12 characters"):
        open_passphrase_root(tmp_path, _env("hunter2"), new_params=FAST)
    assert not (tmp_path / "root.passphrase").exists()


def test_composed_and_decomposed_accents_are_the_same_passphrase(tmp_path: pathlib.Path) -> None:
    composed = "mot de passe très secret"
    decomposed = "mot de passe tre\u0300s secret"
    assert composed != decomposed
    first = open_passphrase_root(tmp_path, _env(composed), new_params=FAST)
    assert open_passphrase_root(tmp_path, _env(decomposed)).key_id == first.key_id


def test_a_record_others_may_read_is_refused(tmp_path: pathlib.Path) -> None:
    open_passphrase_root(tmp_path, _env(PASSPHRASE), new_params=FAST)
    (tmp_path / "root.passphrase").chmod(0o644)
    with pytest.raises(RootKeyUnavailable, match="chmod 600"):
        open_passphrase_root(tmp_path, _env(PASSPHRASE))


def _rewrite(tmp_path: pathlib.Path, **changes: object) -> None:
    record_file = tmp_path / "root.passphrase"
    record = json.loads(record_file.read_text())
    record.update(changes)
    record_file.write_text(json.dumps(record))


def test_a_replaced_salt_reads_as_a_wrong_passphrase(tmp_path: pathlib.Path) -> None:
    open_passphrase_root(tmp_path, _env(PASSPHRASE), new_params=FAST)
    _rewrite(tmp_path, salt=base64.b64encode(bytes(16)).decode())
    with pytest.raises(RootKeyUnavailable, match="the passphrase is wrong"):
        open_passphrase_root(tmp_path, _env(PASSPHRASE))


@pytest.mark.parametrize(
    "changes",
    [
        {"n": 2**30},  # would need 128 GiB: refused before scrypt runs
        {"n": 2**14 + 1},
        {"n": 2**10},
        {"r": 0},
        {"p": True},
        {"n": "16384"},
        {"kdf": "pbkdf2"},
        {"version": 2},
        {"salt": "not base64!"},
        {"salt": base64.b64encode(b"short").decode()},
        {"check": None},
    ],
)
def test_a_damaged_record_is_refused(tmp_path: pathlib.Path, changes: dict[str, object]) -> None:
    open_passphrase_root(tmp_path, _env(PASSPHRASE), new_params=FAST)
    _rewrite(tmp_path, **changes)
    with pytest.raises(RootKeyUnavailable, match="restore it from a backup"):
        open_passphrase_root(tmp_path, _env(PASSPHRASE))


def test_a_record_that_is_not_json_is_refused(tmp_path: pathlib.Path) -> None:
    record_file = tmp_path / "root.passphrase"
    record_file.write_bytes(b"\xff\x00garbage")
    record_file.chmod(0o600)
    with pytest.raises(RootKeyUnavailable, match="damaged"):
        open_passphrase_root(tmp_path, _env(PASSPHRASE))


def test_scrypt_parameters_are_bounded() -> None:
    for n, r, p in [(2**13, 8, 1), (2**21, 1, 1), (3 * 2**14, 8, 1), (2**20, 16, 1), (2**14, 8, 17)]:
        with pytest.raises(ValueError):
            ScryptParams(n=n, r=r, p=p)
