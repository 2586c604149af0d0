"""The `pkcs11` root of trust against a real SoftHSM2 token in a temporary directory."""

from __future__ import annotations

import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from strongroom.core.crypto import RootKeyUnavailable, open_root_of_trust
from strongroom.core.crypto.pkcs11_provider import default_module_path, open_pkcs11_root

TOKEN_LABEL = "strongroom-test"
PIN = "1234"
SO_PIN = "5678"
MODULE = default_module_path()

pytestmark = [
    pytest.mark.skipif(
        shutil.which("softhsm2-util") is None, reason="softhsm2-util is not installed (.ci/install-softhsm)"
    ),
    pytest.mark.skipif(
        MODULE is None, reason="the SoftHSM2 PKCS#11 library is not installed (.ci/install-softhsm)"
    ),
]


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A fresh SoftHSM2 token for this module; yields the environment that points at it."""
    import pkcs11

    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                TOKEN_LABEL,
                "--pin",
                PIN,
                "--so-pin",
                SO_PIN,
            ],
            check=True,
            capture_output=True,
        )
        assert MODULE is not None
        # SoftHSM2 reads SOFTHSM2_CONF when the library initialises: start it afresh on this token.
        pkcs11.lib(MODULE).reinitialize()
        yield {
            "SOFTHSM2_CONF": str(conf),
            "STRONGROOM_PKCS11_MODULE": MODULE,
            "STRONGROOM_PKCS11_TOKEN_LABEL": TOKEN_LABEL,
            "STRONGROOM_PKCS11_PIN": PIN,
        }
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


def _env(softhsm: dict[str, str], key_label: str, **overrides: str) -> dict[str, str]:
    return {**softhsm, "STRONGROOM_PKCS11_KEY_LABEL": key_label, **overrides}


def _record(data_dir: pathlib.Path) -> dict[str, Any]:
    return json.loads((data_dir / "root.pkcs11").read_text())  # type: ignore[no-any-return]


def test_first_start_creates_the_token_key_and_wraps_a_data_key(
    softhsm: dict[str, str], tmp_path: pathlib.Path
) -> None:
    root = open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "first-start"))
    assert root.name == "pkcs11"
    record = _record(tmp_path)
    assert record["mechanism"] == "AES_GCM"
    assert (record["token_label"], record["key_label"]) == (TOKEN_LABEL, "first-start")
    assert len(base64.b64decode(record["wrapped"])) == 32 + 16
    assert oct((tmp_path / "root.pkcs11").stat().st_mode & 0o777) == "0o600"
    sealed = root.seal(b"secret", purpose="kms/key-material", record="key-1")
    assert root.open(sealed, purpose="kms/key-material", record="key-1") == b"secret"


def test_the_token_key_is_sensitive_and_never_extractable(
    softhsm: dict[str, str], tmp_path: pathlib.Path
) -> None:
    import pkcs11
    from pkcs11 import Attribute

    open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "attributes"))
    assert MODULE is not None
    token = pkcs11.lib(MODULE).get_token(token_label=TOKEN_LABEL)
    with token.open(user_pin=PIN) as session:
        key = session.get_key(object_class=pkcs11.ObjectClass.SECRET_KEY, label="attributes")
        assert key[Attribute.TOKEN] is True
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.NEVER_EXTRACTABLE] is True
        assert key[Attribute.VALUE_LEN] == 32
        with pytest.raises(pkcs11.AttributeSensitive):
            key[Attribute.VALUE]
        # Only the wrapping key is left on the token: the data key was never stored there.
        assert len(list(session.get_objects({Attribute.LABEL: "attributes"}))) == 1


def test_a_second_instance_unwraps_the_same_data_key(softhsm: dict[str, str], tmp_path: pathlib.Path) -> None:
    env = _env(softhsm, "second-instance")
    first = open_root_of_trust("pkcs11", tmp_path, env=env)
    sealed = first.seal(b"secret", purpose="p", record="r")
    second = open_root_of_trust("pkcs11", tmp_path, env=env)
    assert second.key_id == first.key_id
    assert second.open(sealed, purpose="p", record="r") == b"secret"


_SEAL_IN_A_NEW_PROCESS = """
import json, pathlib, sys
from strongroom.core.crypto import open_root_of_trust
env = json.loads(sys.argv[2])
root = open_root_of_trust("pkcs11", pathlib.Path(sys.argv[1]), env=env)
print(root.key_id.hex(), root.seal(b"from another process", purpose="p", record="r").hex())
"""


def test_a_restart_in_a_new_process_unwraps_the_same_data_key(
    softhsm: dict[str, str], tmp_path: pathlib.Path
) -> None:
    env = _env(softhsm, "new-process")
    first = open_root_of_trust("pkcs11", tmp_path, env=env)
    done = subprocess.run(
        [sys.executable, "-c", _SEAL_IN_A_NEW_PROCESS, str(tmp_path), json.dumps(env)],
        env={**os.environ, "SOFTHSM2_CONF": softhsm["SOFTHSM2_CONF"]},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    key_id, sealed = done.stdout.split()
    assert key_id == first.key_id.hex()
    assert first.open(bytes.fromhex(sealed), purpose="p", record="r") == b"from another process"


def test_data_dirs_sharing_a_token_key_get_their_own_data_keys(
    softhsm: dict[str, str], tmp_path: pathlib.Path
) -> None:
    env = _env(softhsm, "shared-key")
    one = open_root_of_trust("pkcs11", tmp_path / "one", env=env)
    two = open_root_of_trust("pkcs11", tmp_path / "two", env=env)
    assert one.key_id != two.key_id


@pytest.mark.parametrize("mechanism", ["AES_KEY_WRAP_PAD", "AES_KEY_WRAP"])
def test_key_wrap_when_the_token_lacks_gcm(
    softhsm: dict[str, str], tmp_path: pathlib.Path, mechanism: str
) -> None:
    env = _env(softhsm, f"wrap-{mechanism}")
    first = open_pkcs11_root(tmp_path, env, mechanisms=(mechanism,))
    record = _record(tmp_path)
    assert record["mechanism"] == mechanism
    assert "nonce" not in record
    assert len(base64.b64decode(record["wrapped"])) == 40
    sealed = first.seal(b"secret", purpose="p", record="r")
    # A later start follows the record, whatever it would prefer for a new one.
    second = open_root_of_trust("pkcs11", tmp_path, env=env)
    assert second.open(sealed, purpose="p", record="r") == b"secret"


def test_a_wrong_pin_is_refused(softhsm: dict[str, str], tmp_path: pathlib.Path) -> None:
    open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "wrong-pin"))
    with pytest.raises(RootKeyUnavailable, match="the PIN is wrong") as caught:
        open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "wrong-pin", STRONGROOM_PKCS11_PIN="98761"))
    assert "98761" not in str(caught.value)


def test_a_wrong_pin_on_first_start_creates_nothing(softhsm: dict[str, str], tmp_path: pathlib.Path) -> None:
    with pytest.raises(RootKeyUnavailable, match="the PIN is wrong"):
        open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "never", STRONGROOM_PKCS11_PIN="0000"))
    assert not (tmp_path / "root.pkcs11").exists()


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("STRONGROOM_PKCS11_TOKEN_LABEL", "STRONGROOM_PKCS11_TOKEN_LABEL is not set"),
        ("STRONGROOM_PKCS11_PIN", "STRONGROOM_PKCS11_PIN is not set"),
    ],
)
def test_missing_settings_are_named(
    softhsm: dict[str, str], tmp_path: pathlib.Path, missing: str, message: str
) -> None:
    env = _env(softhsm, "unused")
    del env[missing]
    with pytest.raises(RootKeyUnavailable, match=message):
        open_root_of_trust("pkcs11", tmp_path, env=env)


def test_an_unknown_token_is_refused(softhsm: dict[str, str], tmp_path: pathlib.Path) -> None:
    env = _env(softhsm, "unused", STRONGROOM_PKCS11_TOKEN_LABEL="no-such-token")
    with pytest.raises(RootKeyUnavailable, match="no token labelled 'no-such-token'"):
        open_root_of_trust("pkcs11", tmp_path, env=env)


def test_a_library_that_is_not_pkcs11_is_refused(softhsm: dict[str, str], tmp_path: pathlib.Path) -> None:
    env = _env(softhsm, "unused", STRONGROOM_PKCS11_MODULE=str(tmp_path / "missing.so"))
    with pytest.raises(RootKeyUnavailable, match="cannot load the PKCS#11 library"):
        open_root_of_trust("pkcs11", tmp_path, env=env)


@pytest.mark.parametrize("mechanism", ["AES_GCM", "AES_KEY_WRAP_PAD", "AES_KEY_WRAP"])
def test_a_tampered_wrapped_key_is_refused(
    softhsm: dict[str, str], tmp_path: pathlib.Path, mechanism: str
) -> None:
    open_pkcs11_root(tmp_path, _env(softhsm, "tampered"), mechanisms=(mechanism,))
    record_file = tmp_path / "root.pkcs11"
    record = _record(tmp_path)
    wrapped = bytearray(base64.b64decode(record["wrapped"]))
    wrapped[0] ^= 0x01
    record["wrapped"] = base64.b64encode(bytes(wrapped)).decode()
    record_file.write_text(json.dumps(record))
    with pytest.raises(RootKeyUnavailable, match="does not open"):
        open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "tampered"))


def test_a_data_dir_wrapped_by_another_token_key_is_refused(
    softhsm: dict[str, str], tmp_path: pathlib.Path
) -> None:
    open_root_of_trust("pkcs11", tmp_path / "a", env=_env(softhsm, "key-a"))
    open_root_of_trust("pkcs11", tmp_path / "b", env=_env(softhsm, "key-b"))
    record_a = _record(tmp_path / "a")
    record_b = _record(tmp_path / "b")
    record_b["wrapped"], record_b["nonce"] = record_a["wrapped"], record_a["nonce"]
    (tmp_path / "b" / "root.pkcs11").write_text(json.dumps(record_b))
    with pytest.raises(RootKeyUnavailable, match="'key-b' on token 'strongroom-test' does not open"):
        open_root_of_trust("pkcs11", tmp_path / "b", env=_env(softhsm, "key-b"))


def test_a_deleted_token_key_is_reported(softhsm: dict[str, str], tmp_path: pathlib.Path) -> None:
    import pkcs11

    open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "deleted"))
    assert MODULE is not None
    token = pkcs11.lib(MODULE).get_token(token_label=TOKEN_LABEL)
    with token.open(user_pin=PIN, rw=True) as session:
        session.get_key(object_class=pkcs11.ObjectClass.SECRET_KEY, label="deleted").destroy()
    with pytest.raises(RootKeyUnavailable, match="has no AES key labelled 'deleted'"):
        open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "deleted"))


def test_repr_names_the_provider_only(softhsm: dict[str, str], tmp_path: pathlib.Path) -> None:
    root = open_root_of_trust("pkcs11", tmp_path, env=_env(softhsm, "repr"))
    assert repr(root) == f"<UnsealedRoot name='pkcs11' key_id={root.key_id.hex()}>"
