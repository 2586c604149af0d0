"""Built-in rotation of real database users on this machine's PostgreSQL and MariaDB.

PostgreSQL here trusts every local connection (pg_hba `trust`), so a login proves nothing about
a password: the PostgreSQL tests check the role's SCRAM-SHA-256 verifier in pg_authid instead
(the new password matches it, the old one no longer does). MariaDB checks passwords, so its tests
log in: the new password works and the old one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.secretsmanager.conftest import wait_for

PG = {"host": "127.0.0.1", "port": 5432}
MY = {"host": "127.0.0.1", "port": 3306}


def _postgres() -> Any:
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(
            host=PG["host"],
            port=PG["port"],
            user="postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except Exception as error:
        pytest.skip(f"PostgreSQL is not available on 127.0.0.1:5432: {error}")


def _mariadb(user: str = "root", password: str = "") -> Any:
    pymysql = pytest.importorskip("pymysql")
    try:
        return pymysql.connect(
            host=MY["host"], port=MY["port"], user=user, password=password, connect_timeout=3, autocommit=True
        )
    except Exception as error:
        pytest.skip(f"MariaDB is not available on 127.0.0.1:3306: {error}")


def scram_matches(verifier: str, password: str) -> bool:
    """Whether `password` matches a PostgreSQL SCRAM-SHA-256 verifier (RFC 5802/7677)."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iterations_salt, keys = rest.split("$", 1)
    iterations, salt = iterations_salt.split(":")
    stored_key, _server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return hmac.compare_digest(base64.b64encode(hashlib.sha256(client_key).digest()).decode(), stored_key)


def verifier_of(conn: Any, role: str) -> str:
    row = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchone()
    assert row is not None and row[0]
    return str(row[0])


def template_arn(account_id: str, engine: str, users: str) -> str:
    return f"arn:aws:lambda:us-east-1:{account_id}:function:SecretsManagerRDS{engine}Rotation{users}"


def rotated(sm: Any, name: str) -> Any:
    return sm.describe_secret(SecretId=name).get("LastRotatedDate")


@pytest.fixture
def pg_role() -> Iterator[tuple[Any, str]]:
    conn = _postgres()
    role = f"sm_rot_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'old-password-1'")
    yield conn, role
    conn.execute(f"DROP ROLE IF EXISTS {role}_clone")
    conn.execute(f"DROP ROLE IF EXISTS {role}")
    conn.close()


@pytest.fixture
def my_user() -> Iterator[tuple[Any, str]]:
    conn = _mariadb()
    user = f"sm_rot_{uuid.uuid4().hex[:8]}"
    with conn.cursor() as cursor:
        cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY 'old-password-1'", (user,))
        cursor.execute(f"GRANT SELECT ON mysql.db TO `{user}`@'%'")
    yield conn, user
    with conn.cursor() as cursor:
        cursor.execute(f"DROP USER IF EXISTS `{user}`@'%'")
        cursor.execute(f"DROP USER IF EXISTS `{user}_clone`@'%'")
    conn.close()


def test_postgresql_single_user(sm: Any, account_id: str, name: str, pg_role: tuple[Any, str]) -> None:
    conn, role = pg_role
    secret = {
        "engine": "postgres",
        **PG,
        "username": role,
        "password": "old-password-1",
        "dbname": "postgres",
    }
    sm.create_secret(Name=name, SecretString=json.dumps(secret))
    assert scram_matches(verifier_of(conn, role), "old-password-1")
    sm.rotate_secret(SecretId=name, RotationLambdaARN=template_arn(account_id, "PostgreSQL", "SingleUser"))
    wait_for(lambda: rotated(sm, name))
    new = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert new["username"] == role and new["password"] != "old-password-1"
    assert {k: v for k, v in new.items() if k != "password"} == {
        k: v for k, v in secret.items() if k != "password"
    }
    verifier = verifier_of(conn, role)
    assert scram_matches(verifier, new["password"])
    assert not scram_matches(verifier, "old-password-1")
    previous = json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["password"] == "old-password-1"


def test_postgresql_alternating_users(sm: Any, account_id: str, name: str, pg_role: tuple[Any, str]) -> None:
    conn, role = pg_role
    master_arn = sm.create_secret(
        Name=name + "-master",
        SecretString=json.dumps({"engine": "postgres", **PG, "username": "postgres", "password": "unused"}),
    )["ARN"]
    secret = {
        "engine": "postgres",
        **PG,
        "username": role,
        "password": "old-password-1",
        "dbname": "postgres",
        "masterarn": master_arn,
    }
    sm.create_secret(Name=name, SecretString=json.dumps(secret))
    sm.rotate_secret(SecretId=name, RotationLambdaARN=template_arn(account_id, "PostgreSQL", "MultiUser"))
    wait_for(lambda: rotated(sm, name))
    new = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert new["username"] == f"{role}_clone"
    assert scram_matches(verifier_of(conn, f"{role}_clone"), new["password"])
    assert scram_matches(verifier_of(conn, role), "old-password-1")  # the old user keeps working
    member = conn.execute(
        "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = %s AND u.rolname = %s",
        (role, f"{role}_clone"),
    ).fetchone()
    assert member is not None


def test_mariadb_single_user(sm: Any, account_id: str, name: str, my_user: tuple[Any, str]) -> None:
    _, user = my_user
    secret = {"engine": "mariadb", **MY, "username": user, "password": "old-password-1", "dbname": "mysql"}
    sm.create_secret(Name=name, SecretString=json.dumps(secret))
    sm.rotate_secret(SecretId=name, RotationLambdaARN=template_arn(account_id, "MariaDB", "SingleUser"))
    wait_for(lambda: rotated(sm, name))
    new = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert new["password"] != "old-password-1"
    with _mariadb(user, new["password"]).cursor() as cursor:
        cursor.execute("SELECT CURRENT_USER()")
        assert cursor.fetchone()[0].startswith(user)
    import pymysql

    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(
            host=MY["host"], port=MY["port"], user=user, password="old-password-1", connect_timeout=3
        )


def test_mariadb_alternating_users(sm: Any, account_id: str, name: str, my_user: tuple[Any, str]) -> None:
    _, user = my_user
    master_arn = sm.create_secret(
        Name=name + "-master",
        SecretString=json.dumps({"engine": "mariadb", **MY, "username": "root", "password": ""}),
    )["ARN"]
    secret = {
        "engine": "mariadb",
        **MY,
        "username": user,
        "password": "old-password-1",
        "masterarn": master_arn,
    }
    sm.create_secret(Name=name, SecretString=json.dumps(secret))
    sm.rotate_secret(SecretId=name, RotationLambdaARN=template_arn(account_id, "MySQL", "MultiUser"))
    wait_for(lambda: rotated(sm, name))
    new = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert new["username"] == f"{user}_clone"
    with _mariadb(new["username"], new["password"]).cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM mysql.db")  # the clone got the original user's grant
    _mariadb(user, "old-password-1").close()  # the previous user still logs in


@pytest.mark.parametrize("engine", ["PostgreSQL", "MariaDB"])
def test_failed_rotation_leaves_current(sm: Any, account_id: str, name: str, engine: str) -> None:
    (_postgres if engine == "PostgreSQL" else _mariadb)().close()
    endpoint = PG if engine == "PostgreSQL" else MY
    secret = {
        "engine": engine.lower(),
        **endpoint,
        "username": f"nobody_{uuid.uuid4().hex[:6]}",
        "password": "pw",
    }
    original = json.dumps(secret)
    first = sm.create_secret(Name=name, SecretString=original)["VersionId"]
    token = sm.rotate_secret(SecretId=name, RotationLambdaARN=template_arn(account_id, engine, "SingleUser"))[
        "VersionId"
    ]
    # createSecret puts the pending value; setSecret cannot log in and fails the rotation.
    wait_for(lambda: sm.describe_secret(SecretId=name)["VersionIdsToStages"].get(token) == ["AWSPENDING"])
    wait_for(
        lambda: (
            sm.describe_secret(SecretId=name).get("LastRotatedDate") is None and _settled(sm, name, token)
        ),
        timeout=20,
    )
    current = sm.get_secret_value(SecretId=name)
    assert current["VersionId"] == first and current["SecretString"] == original


def _settled(sm: Any, name: str, token: str) -> bool:
    """The failed run has ended: its pending value exists and AWSCURRENT never moved."""
    try:
        sm.get_secret_value(SecretId=name, VersionId=token, VersionStage="AWSPENDING")
    except sm.exceptions.ResourceNotFoundException:
        return False
    return True
