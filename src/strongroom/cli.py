"""The `strongroom` command: serve, compat."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from strongroom.config import Config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strongroom", description="A self-hosted AWS security plane.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the AWS APIs")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--data-dir", type=Path, default=Path(".strongroom"))
    serve.add_argument("--dev", action="store_true", help="dev mode: test/test credentials, the dev clock")
    serve.add_argument("--region", default="us-east-1")
    serve.add_argument("--database-url", default=None, help="default: SQLite in the data dir")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--root-key-provider", choices=["file", "passphrase", "pkcs11"], default="file")
    serve.add_argument("--tls-cert", type=Path, default=None)
    serve.add_argument("--tls-key", type=Path, default=None)
    serve.add_argument("--tls", choices=["self-signed"], default=None)

    compat = commands.add_parser("compat", help="print the implemented operations per service")
    compat.add_argument("--format", choices=["text", "markdown"], default="text")

    tls = commands.add_parser("tls", help="TLS helpers")
    tls_commands = tls.add_subparsers(dest="tls_command", required=True)
    export = tls_commands.add_parser("export-ca", help="print the self-signed CA certificate (PEM)")
    export.add_argument("--data-dir", type=Path, default=Path(".strongroom"))

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "serve":
        return _serve(args)
    if args.command == "compat":
        from strongroom.compat import render

        sys.stdout.write(render(args.format))
        return 0
    if args.command == "tls":
        from strongroom.tls import ca_path

        path = ca_path(args.data_dir)
        if not path.exists():
            sys.stderr.write(f"no CA in {args.data_dir}: start once with --tls self-signed\n")
            return 1
        sys.stdout.write(path.read_text())
        return 0
    return 2


def _serve(args: argparse.Namespace) -> int:
    if (args.tls_cert is None) != (args.tls_key is None):
        sys.stderr.write("--tls-cert and --tls-key go together\n")
        return 2
    config = Config(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        dev=args.dev,
        region=args.region,
        database_url=args.database_url,
        workers=max(1, args.workers),
        root_key_provider=args.root_key_provider,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_self_signed=args.tls == "self-signed",
    )
    if config.dev and not config.loopback_only:
        sys.stderr.write("--dev is refused unless bound to a loopback address (127.0.0.1, ::1, localhost)\n")
        return 2
    from strongroom.server import serve

    serve(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
