"""The `file` root of trust: creation, permissions, restart, concurrent first starts."""

from __future__ import annotations

import os
import pathlib
import stat
import subprocess
import sys

import pytest

from strongroom.core.crypto import RootKeyUnavailable, SealError, open_root_of_trust


def _mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_creates_a_private_256_bit_key(tmp_path: pathlib.Path) -> None:
    data_dir = tmp_path / "data"
    previous = os.umask(0)
    try:
        root = open_root_of_trust("file", data_dir, env={})
    finally:
        os.umask(previous)
    key_file = data_dir / "root.key"
    assert root.name == "file"
    assert _mode(key_file) == 0o600
    assert _mode(data_dir) == 0o700
    assert len(key_file.read_bytes()) == 32
    assert [path.name for path in data_dir.iterdir()] == ["root.key"]


def test_default_kind_is_file(tmp_path: pathlib.Path) -> None:
    assert open_root_of_trust("", tmp_path, env={}).name == "file"
    assert (tmp_path / "root.key").exists()


def test_restart_yields_the_same_key(tmp_path: pathlib.Path) -> None:
    first = open_root_of_trust("file", tmp_path, env={})
    sealed = first.seal(b"secret", purpose="kms/key-material", record="key-1")
    second = open_root_of_trust("file", tmp_path, env={})
    assert second.key_id == first.key_id
    assert second.open(sealed, purpose="kms/key-material", record="key-1") == b"secret"


def test_another_data_dir_has_another_key(tmp_path: pathlib.Path) -> None:
    sealed = open_root_of_trust("file", tmp_path / "a", env={}).seal(b"s", purpose="p", record="r")
    with pytest.raises(SealError):
        open_root_of_trust("file", tmp_path / "b", env={}).open(sealed, purpose="p", record="r")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660])
def test_a_key_file_others_may_access_is_refused(tmp_path: pathlib.Path, mode: int) -> None:
    open_root_of_trust("file", tmp_path, env={})
    key_file = tmp_path / "root.key"
    key = key_file.read_bytes()
    key_file.chmod(mode)
    with pytest.raises(RootKeyUnavailable) as caught:
        open_root_of_trust("file", tmp_path, env={})
    assert f"chmod 600 {key_file}" in str(caught.value)
    assert key.hex() not in str(caught.value)


def test_a_read_only_owner_file_is_accepted(tmp_path: pathlib.Path) -> None:
    first = open_root_of_trust("file", tmp_path, env={})
    (tmp_path / "root.key").chmod(0o400)
    assert open_root_of_trust("file", tmp_path, env={}).key_id == first.key_id


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_a_key_file_of_the_wrong_length_is_refused(tmp_path: pathlib.Path, length: int) -> None:
    key_file = tmp_path / "root.key"
    key_file.write_bytes(b"k" * length)
    key_file.chmod(0o600)
    with pytest.raises(RootKeyUnavailable, match=f"holds {length} bytes") as caught:
        open_root_of_trust("file", tmp_path, env={})
    assert "kkkk" not in str(caught.value)


def test_an_operator_supplied_key_is_used_as_is(tmp_path: pathlib.Path) -> None:
    key_file = tmp_path / "root.key"
    key_file.write_bytes(bytes(range(32)))
    key_file.chmod(0o600)
    assert open_root_of_trust("file", tmp_path, env={}).key_id.hex() == "24292eed79fc7e93"


_START = (
    "import pathlib, sys; from strongroom.core.crypto import open_root_of_trust; "
    "print(open_root_of_trust('file', pathlib.Path(sys.argv[1]), env={}).key_id.hex())"
)


def test_concurrent_first_starts_agree_on_one_key(tmp_path: pathlib.Path) -> None:
    """Several processes starting at once must not each keep a key of their own."""
    for attempt in range(3):
        data_dir = tmp_path / f"race-{attempt}"
        starts = [
            subprocess.Popen([sys.executable, "-c", _START, str(data_dir)], stdout=subprocess.PIPE, text=True)
            for _ in range(8)
        ]
        key_ids = {start.communicate(timeout=60)[0].strip() for start in starts}
        assert all(start.returncode == 0 for start in starts)
        assert key_ids == {open_root_of_trust("file", data_dir, env={}).key_id.hex()}
        assert [path.name for path in data_dir.iterdir()] == ["root.key"]
