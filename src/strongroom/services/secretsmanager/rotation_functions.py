"""Where a RotationLambdaARN leads: a rotation function the operator registered, or a built-in one.

Strongroom runs no Lambda. A rotation function is an HTTP(S) endpoint that receives the JSON event
a rotation Lambda receives::

    {"Step": "createSecret", "SecretId": "<secret ARN>", "ClientRequestToken": "<version id>",
     "RotationToken": "<token>"}

and answers 2xx when the step succeeded (any other status, or no answer within the timeout,
fails the step). It calls Strongroom back with its own credentials, exactly as a rotation Lambda
calls Secrets Manager with its execution role.

The operator registers functions in a JSON file, ``<data dir>/rotation-functions.json`` (or the
file named by ``STRONGROOM_ROTATION_FUNCTIONS``), re-read when it changes::

    {"arn:aws:lambda:us-east-1:123456789012:function:my-rotator": "https://rotator.internal/rotate",
     "arn:aws:lambda:us-east-1:123456789012:function:pg-rotator": "builtin:postgresql-single-user"}

A key may also be a bare function name (any account and region). ``builtin:<strategy>`` names a
managed rotation Strongroom runs itself (see `managed_rotation`); a function named after AWS's
rotation templates (``SecretsManagerRDSPostgreSQLRotationSingleUser``, ``…MultiUser``,
``SecretsManagerRDSMySQLRotation…``, ``SecretsManagerRDSMariaDBRotation…``) resolves to the
matching built-in without registration.
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY_ENV = "STRONGROOM_ROTATION_FUNCTIONS"
REGISTRY_FILE = "rotation-functions.json"
STEP_TIMEOUT_SECONDS = 300.0
BUILTIN_PREFIX = "builtin:"
BUILTINS = frozenset(
    {"postgresql-single-user", "postgresql-multi-user", "mysql-single-user", "mysql-multi-user"}
)
_LAMBDA_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(:[A-Za-z0-9$_-]+)?"
)
_TEMPLATE = re.compile(r"SecretsManagerRDS(PostgreSQL|MySQL|MariaDB)Rotation(SingleUser|MultiUser)")


@dataclass(frozen=True)
class RotationTarget:
    """An HTTP endpoint (`url`) or a built-in strategy (`builtin`)."""

    url: str | None = None
    builtin: str | None = None


class StepFailed(Exception):
    """A rotation step did not succeed; the message is safe to log (it names no secret)."""


def is_lambda_arn(arn: str) -> bool:
    return _LAMBDA_ARN.fullmatch(arn) is not None


class RotationFunctions:
    """The registry, re-read when its file changes."""

    def __init__(self, data_dir: Path) -> None:
        configured = os.environ.get(REGISTRY_ENV)
        self._path = Path(configured) if configured else data_dir / REGISTRY_FILE
        self._stamp: tuple[int, int] | None = None
        self._entries: dict[str, str] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    raw = json.loads(self._path.read_text())
                    self._entries = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
                except (OSError, ValueError):
                    self._entries = {}
                self._stamp = stamp
            return self._entries

    def resolve(self, function_arn: str) -> RotationTarget | None:
        match = _LAMBDA_ARN.fullmatch(function_arn)
        if match is None:
            return None
        name = match.group(3)
        entries = self._load()
        target = entries.get(function_arn) or entries.get(name)
        if target is not None:
            if target.startswith(BUILTIN_PREFIX):
                strategy = target[len(BUILTIN_PREFIX) :]
                return RotationTarget(builtin=strategy) if strategy in BUILTINS else None
            if target.startswith(("http://", "https://")):
                return RotationTarget(url=target)
            return None
        template = _TEMPLATE.fullmatch(name)
        if template is not None:
            engine = "postgresql" if template.group(1) == "PostgreSQL" else "mysql"
            users = "single-user" if template.group(2) == "SingleUser" else "multi-user"
            return RotationTarget(builtin=f"{engine}-{users}")
        return None


def invoke_http(url: str, event: dict[str, str], timeout: float = STEP_TIMEOUT_SECONDS) -> None:
    """POST the step's event; raise StepFailed unless the function answers 2xx."""
    body = json.dumps(event).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator registered this URL
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        raise StepFailed(f"the rotation function answered {error.code} to {event['Step']}") from None
    except (urllib.error.URLError, OSError) as error:
        raise StepFailed(f"the rotation function could not be reached for {event['Step']}: {error}") from None
    if not 200 <= status < 300:
        raise StepFailed(f"the rotation function answered {status} to {event['Step']}")
