"""The server's configuration: CLI flags, with environment variables for what must not be a flag."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

CONFIG_ENV = "STRONGROOM_CONFIG_JSON"


@dataclass(frozen=True)
class Config:
    """Everything a server process needs to start; passed to worker processes as JSON."""

    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = field(default_factory=lambda: Path(".strongroom"))
    dev: bool = False
    region: str = "us-east-1"
    database_url: str | None = None
    workers: int = 1
    root_key_provider: str = "file"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_self_signed: bool = False
    tls_certificate_arn: str | None = None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'strongroom.db').resolve()}"

    @property
    def loopback_only(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    @property
    def tls_enabled(self) -> bool:
        return self.tls_self_signed or self.tls_cert is not None or self.tls_certificate_arn is not None

    def to_json(self) -> str:
        values = asdict(self)
        return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in values.items()})

    @classmethod
    def from_json(cls, text: str) -> Config:
        values = json.loads(text)
        for key in ("data_dir", "tls_cert", "tls_key"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        return cls(**values)

    @classmethod
    def from_env(cls) -> Config:
        text = os.environ.get(CONFIG_ENV)
        return cls.from_json(text) if text else cls()
