"""Access keys: from an access key id (and session token) to the secret and the principal.

Long-term keys live in `iam_access_keys`, their secrets sealed under the root of trust.
Temporary credentials (ASIA…) keep no row: the session token is itself sealed under the root of
trust and carries the secret, the expiry and the session, so every node can verify it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from strongroom.core.cache import StampedCache
from strongroom.core.clock import Clock
from strongroom.core.crypto import RootOfTrust, SealError
from strongroom.core.iam import ids
from strongroom.core.iam.principals import Principal, root_principal
from strongroom.core.iam.tables import accounts, iam_access_keys, iam_roles, iam_users
from strongroom.core.store import Database

DEV_ACCOUNT_ID = "000000000000"
DEV_SECRET = "test"
_SESSION_PURPOSE = "sts-session-token"
_TOKEN_PREFIX = "SRv1"
_ACCESS_KEY_PURPOSE = "iam-access-key"
_MAX_OPEN_SESSIONS = 10_000


class CredentialError(Exception):
    """The access key or token cannot be used; `kind` picks the protocol's error code."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ResolvedKey:
    secret_access_key: str
    principal: Principal


@dataclass(frozen=True)
class IssuedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime


class Credentials:
    """Resolves and issues credentials for the gateway and the IAM and STS services.

    Resolved long-term keys are cached per process (a database round trip per request would
    cost more than the rest of the request) in a stamped cache that IAM's writes drop at once on
    this node and that other nodes refresh within its ttl (core/cache.py).
    """

    def __init__(
        self,
        db: Database,
        root: RootOfTrust,
        clock: Clock,
        *,
        dev: bool = False,
        cache: StampedCache[object, object] | None = None,
    ) -> None:
        self._db = db
        self._root = root
        self._clock = clock
        self._dev = dev
        self._known_accounts: set[str] = set()
        self._cache: StampedCache[object, object] = cache or StampedCache(None, ttl=0.0)
        self._sessions: dict[tuple[str, str], tuple[datetime, ResolvedKey]] = {}

    # -- resolving ---------------------------------------------------------------------------

    def resolve(self, access_key_id: str, session_token: str | None) -> ResolvedKey:
        if session_token is not None or access_key_id.startswith("ASIA"):
            return self._resolve_session(access_key_id, session_token)
        resolved = self._cache.get(("access-key", access_key_id), lambda: self._resolve_key(access_key_id))
        assert isinstance(resolved, ResolvedKey)
        return resolved

    def changed(self) -> None:
        """IAM identities or keys changed: every worker on this node drops its cache now."""
        self._cache.changed()

    def _resolve_key(self, access_key_id: str) -> ResolvedKey:
        with self._db.read() as conn:
            row = conn.execute(
                select(iam_access_keys).where(iam_access_keys.c.access_key_id == access_key_id)
            ).first()
            if row is not None:
                if row.status != "Active":
                    raise CredentialError(
                        "unknown_key", "The security token included in the request is invalid."
                    )
                secret = self.open_secret(access_key_id, row.secret_sealed)
                principal = self._principal_for_key(conn, row.account_id, row.user_name_key, access_key_id)
                return ResolvedKey(secret, principal)
        if self._dev:
            account = self._dev_account(access_key_id)
            if account is not None:
                self.ensure_account(account)
                return ResolvedKey(DEV_SECRET, root_principal(account, access_key_id))
        raise CredentialError("unknown_key", "The security token included in the request is invalid.")

    @staticmethod
    def _dev_account(access_key_id: str) -> str | None:
        if access_key_id == "test":
            return DEV_ACCOUNT_ID
        if len(access_key_id) == 12 and access_key_id.isdigit():
            return access_key_id
        return None

    def _principal_for_key(
        self, conn: Connection, account_id: str, user_name_key: str | None, access_key_id: str
    ) -> Principal:
        if user_name_key is None:
            return root_principal(account_id, access_key_id)
        user = conn.execute(
            select(iam_users).where(
                iam_users.c.account_id == account_id, iam_users.c.name_key == user_name_key
            )
        ).first()
        if user is None:
            raise CredentialError("unknown_key", "The security token included in the request is invalid.")
        return Principal(
            account_id=account_id,
            type="IAMUser",
            arn=user.arn,
            principal_id=user.user_id,
            access_key_id=access_key_id,
            user_name=user.user_name,
        )

    def _resolve_session(self, access_key_id: str, session_token: str | None) -> ResolvedKey:
        if not session_token or not session_token.startswith(_TOKEN_PREFIX):
            raise CredentialError("unknown_key", "The security token included in the request is invalid.")
        # A token opens to the same session for the life of the process (the root of trust does
        # not change under it), so it is opened once; its expiry is checked on every request.
        opened = self._sessions.get((access_key_id, session_token))
        if opened is None:
            opened = self._open_session(access_key_id, session_token)
            if len(self._sessions) >= _MAX_OPEN_SESSIONS:
                self._sessions.clear()
            self._sessions[(access_key_id, session_token)] = opened
        expires, resolved = opened
        if self._clock.now() >= expires:
            raise CredentialError("expired_token", "The security token included in the request is expired")
        return resolved

    def _open_session(self, access_key_id: str, session_token: str) -> tuple[datetime, ResolvedKey]:
        try:
            sealed = base64.urlsafe_b64decode(session_token[len(_TOKEN_PREFIX) :].encode())
            payload = json.loads(self._root.open(sealed, purpose=_SESSION_PURPOSE, record=access_key_id))
        except (SealError, ValueError, binascii.Error):
            raise CredentialError(
                "unknown_key", "The security token included in the request is invalid."
            ) from None
        expires = datetime.fromisoformat(payload["expiration"])
        principal = Principal(
            account_id=payload["account_id"],
            type=payload["type"],
            arn=payload["arn"],
            principal_id=payload["principal_id"],
            access_key_id=access_key_id,
            user_name=payload.get("user_name"),
            role_name=payload.get("role_name"),
            role_id=payload.get("role_id"),
            role_arn=payload.get("role_arn"),
            session_name=payload.get("session_name"),
            session_issued_at=datetime.fromisoformat(payload["issued_at"]),
            session_expires_at=expires,
            session_policies=tuple(payload.get("session_policies", ())),
            tags=tuple((k, v) for k, v in payload.get("tags", [])),
            source_identity=payload.get("source_identity"),
            mfa_authenticated=bool(payload.get("mfa_authenticated", False)),
            temporary=True,
        )
        return expires, ResolvedKey(payload["secret"], principal)

    # -- issuing -----------------------------------------------------------------------------

    def issue_session(self, principal: Principal, expiration: datetime) -> IssuedCredentials:
        """Temporary credentials for `principal` (its access_key_id is replaced by a new ASIA id)."""
        key_id = ids.access_key_id(temporary=True)
        secret = ids.secret_access_key()
        payload = {
            "secret": secret,
            "account_id": principal.account_id,
            "type": principal.type,
            "arn": principal.arn,
            "principal_id": principal.principal_id,
            "user_name": principal.user_name,
            "role_name": principal.role_name,
            "role_id": principal.role_id,
            "role_arn": principal.role_arn,
            "session_name": principal.session_name,
            "issued_at": self._clock.now().isoformat(),
            "expiration": expiration.isoformat(),
            "session_policies": list(principal.session_policies),
            "tags": [list(t) for t in principal.tags],
            "source_identity": principal.source_identity,
            "mfa_authenticated": principal.mfa_authenticated,
        }
        sealed = self._root.seal(
            json.dumps(payload, separators=(",", ":")).encode(), purpose=_SESSION_PURPOSE, record=key_id
        )
        token = _TOKEN_PREFIX + base64.urlsafe_b64encode(sealed).decode()
        return IssuedCredentials(key_id, secret, token, expiration)

    def seal_secret(self, access_key_id: str, secret: str) -> str:
        sealed = self._root.seal(secret.encode(), purpose=_ACCESS_KEY_PURPOSE, record=access_key_id)
        return base64.b64encode(sealed).decode()

    def open_secret(self, access_key_id: str, sealed: str) -> str:
        return self._root.open(
            base64.b64decode(sealed), purpose=_ACCESS_KEY_PURPOSE, record=access_key_id
        ).decode()

    def create_access_key(
        self,
        conn: Connection,
        account_id: str,
        user_name_key: str | None,
        *,
        access_key_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[str, str, datetime]:
        key_id = access_key_id or ids.access_key_id()
        secret = secret or ids.secret_access_key()
        created = self._clock.now()
        conn.execute(
            insert(iam_access_keys).values(
                access_key_id=key_id,
                account_id=account_id,
                user_name_key=user_name_key,
                secret_sealed=self.seal_secret(key_id, secret),
                status="Active",
                created_at=created,
            )
        )
        return key_id, secret, created

    # -- accounts ----------------------------------------------------------------------------

    def ensure_account(self, account_id: str, conn: Connection | None = None) -> None:
        if account_id in self._known_accounts:
            return
        if conn is None:
            with self._db.write() as wconn:
                self._insert_account(wconn, account_id)
        else:
            self._insert_account(conn, account_id)
        self._known_accounts.add(account_id)

    def _insert_account(self, conn: Connection, account_id: str) -> None:
        exists = conn.execute(
            select(accounts.c.account_id).where(accounts.c.account_id == account_id)
        ).first()
        if exists is None:
            conn.execute(insert(accounts).values(account_id=account_id, created_at=self._clock.now()))

    def role(self, conn: Connection, account_id: str, role_name: str) -> object | None:
        return conn.execute(
            select(iam_roles).where(
                iam_roles.c.account_id == account_id, iam_roles.c.name_key == role_name.lower()
            )
        ).first()
