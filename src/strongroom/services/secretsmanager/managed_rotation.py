"""Built-in rotation of database credentials, the four steps of AWS's RDS rotation templates.

The secret holds AWS's database-secret JSON (``engine``, ``host``, ``port``, ``username``,
``password``, ``dbname``; ``masterarn`` for alternating users). Strategies:

- single user: ``createSecret`` puts a copy with a new password as AWSPENDING; ``setSecret``
  logs in with AWSCURRENT (else AWSPENDING, else AWSPREVIOUS) and changes the user's password;
  ``testSecret`` logs in with AWSPENDING; ``finishSecret`` moves AWSCURRENT to it.
- alternating users: the pending user is the current one with ``_clone`` added or removed;
  ``setSecret`` logs in as the master user (the secret ``masterarn`` names), creates the clone
  with the current user's privileges if it is missing, and sets its password. The old user keeps
  working until the next rotation, so clients never see a login fail.

Unlike AWS's template, ``setSecret`` always sets the password, even when the pending one already
logs in: a server that trusts local connections accepts any password, and the change must happen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from strongroom.services.secretsmanager.passwords import random_password
from strongroom.services.secretsmanager.rotation_functions import StepFailed

# AWS's templates leave out characters that break connection strings and shells.
EXCLUDE_CHARACTERS = ":/@\"'\\"
CLONE_SUFFIX = "_clone"


class SecretAccess(Protocol):
    """What a rotation step may do to secrets (through Secrets Manager, authorized and audited)."""

    def get(
        self, secret_id: str, *, version_id: str | None = None, stage: str | None = None
    ) -> str | None: ...

    def put_pending(self, secret_id: str, token: str, value: str) -> None: ...

    def finish(self, secret_id: str, token: str) -> None: ...


Connector = Callable[[dict[str, Any]], Any]


def _postgres(creds: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        host=creds["host"],
        port=int(creds.get("port") or 5432),
        user=creds["username"],
        password=creds["password"],
        dbname=creds.get("dbname") or "postgres",
        connect_timeout=5,
        autocommit=True,
    )


def _mysql(creds: dict[str, Any]) -> Any:
    import pymysql

    return pymysql.connect(
        host=creds["host"],
        port=int(creds.get("port") or 3306),
        user=creds["username"],
        password=creds["password"],
        database=creds.get("dbname") or None,
        connect_timeout=5,
        autocommit=True,
    )


def _connect(engine: str, creds: dict[str, Any] | None) -> Any | None:
    if creds is None:
        return None
    try:
        return (_postgres if engine == "postgresql" else _mysql)(creds)
    except Exception:
        return None


def _set_own_password(engine: str, conn: Any, username: str, password: str) -> None:
    """Change the logged-in user's own password (no privilege needed for that)."""
    if engine == "postgresql":
        from psycopg import sql

        statement = sql.SQL("ALTER USER {} WITH PASSWORD {}")
        conn.execute(statement.format(sql.Identifier(username), sql.Literal(password)))
        return
    with conn.cursor() as cursor:
        try:
            cursor.execute("SET PASSWORD = PASSWORD(%s)", (password,))  # MariaDB, MySQL 5.x
        except Exception:
            cursor.execute("SET PASSWORD = %s", (password,))  # MySQL 8: PASSWORD() is gone


def _set_password_as_master(engine: str, conn: Any, username: str, password: str) -> None:
    if engine == "postgresql":
        _set_own_password(engine, conn, username, password)
        return
    with conn.cursor() as cursor:
        for host in _mysql_hosts(cursor, username):
            cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", (username, host, password))


def _mysql_hosts(cursor: Any, username: str) -> list[str]:
    cursor.execute("SELECT host FROM mysql.user WHERE user = %s", (username,))
    return [str(row[0]) for row in cursor.fetchall()]


def _user_exists(engine: str, conn: Any, username: str) -> bool:
    if engine == "postgresql":
        return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,)).fetchone() is not None
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM mysql.user WHERE user = %s", (username,))
        return cursor.fetchone() is not None


def _create_clone(engine: str, conn: Any, current_user: str, clone: str, password: str) -> None:
    if engine == "postgresql":
        from psycopg import sql

        conn.execute(
            sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(clone), sql.Literal(password), sql.Identifier(current_user)
            )
        )
        return
    with conn.cursor() as cursor:
        for host in _mysql_hosts(cursor, current_user) or ["%"]:
            cursor.execute("CREATE USER %s@%s IDENTIFIED BY %s", (clone, host, password))
            cursor.execute("SHOW GRANTS FOR %s@%s", (current_user, host))
            for (grant,) in cursor.fetchall():
                if str(grant).upper().startswith("GRANT USAGE"):
                    continue
                statement = str(grant).split(" IDENTIFIED BY", 1)[0]
                cursor.execute(statement.replace(f"TO `{current_user}`@", f"TO `{clone}`@"))


class ManagedRotation:
    """One built-in strategy, e.g. ``postgresql-single-user``."""

    def __init__(self, strategy: str, access: SecretAccess) -> None:
        engine, _, users = strategy.partition("-")
        self.engine = engine
        self.multi_user = users == "multi-user"
        self.access = access

    def run(self, step: str, secret_id: str, token: str) -> None:
        steps = {
            "createSecret": self.create_secret,
            "setSecret": self.set_secret,
            "testSecret": self.test_secret,
            "finishSecret": self.finish_secret,
        }
        steps[step](secret_id, token)

    def _json(self, text: str | None, what: str) -> dict[str, Any] | None:
        if text is None:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise StepFailed(f"the {what} value is not database-secret JSON") from None
        if not isinstance(value, dict):
            raise StepFailed(f"the {what} value is not database-secret JSON")
        for field in ("host", "username", "password"):
            if field not in value:
                raise StepFailed(f"the {what} value has no {field} field")
        return value

    def create_secret(self, secret_id: str, token: str) -> None:
        current = self._json(self.access.get(secret_id, stage="AWSCURRENT"), "AWSCURRENT")
        assert current is not None
        if self.access.get(secret_id, version_id=token, stage="AWSPENDING") is not None:
            return
        pending = dict(current)
        if self.multi_user:
            user = str(current["username"])
            pending["username"] = (
                user[: -len(CLONE_SUFFIX)] if user.endswith(CLONE_SUFFIX) else user + CLONE_SUFFIX
            )
        pending["password"] = random_password(32, exclude_characters=EXCLUDE_CHARACTERS)
        self.access.put_pending(secret_id, token, json.dumps(pending))

    def set_secret(self, secret_id: str, token: str) -> None:
        pending = self._json(self.access.get(secret_id, version_id=token, stage="AWSPENDING"), "AWSPENDING")
        if pending is None:
            raise StepFailed("setSecret found no AWSPENDING value")
        if self.multi_user:
            self._set_as_master(pending)
            return
        current = self._json(self.access.get(secret_id, stage="AWSCURRENT"), "AWSCURRENT")
        conn = _connect(self.engine, current) or _connect(self.engine, pending)
        if conn is None:
            previous = self._json(self.access.get(secret_id, stage="AWSPREVIOUS"), "AWSPREVIOUS")
            conn = _connect(self.engine, previous)
        if conn is None:
            raise StepFailed("setSecret could not log in with the current, pending or previous credentials")
        try:
            _set_own_password(self.engine, conn, str(pending["username"]), str(pending["password"]))
        except Exception as error:
            raise StepFailed(f"setSecret could not change the password: {type(error).__name__}") from None
        finally:
            conn.close()

    def _set_as_master(self, pending: dict[str, Any]) -> None:
        master_arn = pending.get("masterarn")
        if not master_arn:
            raise StepFailed("an alternating-users secret needs a masterarn field")
        master = self._json(self.access.get(str(master_arn), stage="AWSCURRENT"), "master")
        assert master is not None
        master = {**pending, "username": master["username"], "password": master["password"]}
        conn = _connect(self.engine, master)
        if conn is None:
            raise StepFailed("setSecret could not log in as the master user")
        user = str(pending["username"])
        current_user = user[: -len(CLONE_SUFFIX)] if user.endswith(CLONE_SUFFIX) else user + CLONE_SUFFIX
        try:
            if _user_exists(self.engine, conn, user):
                _set_password_as_master(self.engine, conn, user, str(pending["password"]))
            else:
                _create_clone(self.engine, conn, current_user, user, str(pending["password"]))
        except Exception as error:
            raise StepFailed(f"setSecret could not set the pending user: {type(error).__name__}") from None
        finally:
            conn.close()

    def test_secret(self, secret_id: str, token: str) -> None:
        pending = self._json(self.access.get(secret_id, version_id=token, stage="AWSPENDING"), "AWSPENDING")
        conn = _connect(self.engine, pending)
        if conn is None:
            raise StepFailed("testSecret could not log in with the pending credentials")
        try:
            if self.engine == "postgresql":
                conn.execute("SELECT 1")
            else:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
        finally:
            conn.close()

    def finish_secret(self, secret_id: str, token: str) -> None:
        self.access.finish(secret_id, token)
