"""The `strongroom` command: serve, compat, tls, resolve."""

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
    serve.add_argument(
        "--quota-file", type=Path, default=None, help="request-rate quotas (JSON) replacing AWS's defaults"
    )
    serve.add_argument(
        "--tls-certificate-arn", default=None, help="serve HTTPS with this ACM certificate (follows renewals)"
    )

    compat = commands.add_parser("compat", help="print the implemented operations per service")
    compat.add_argument("--format", choices=["text", "markdown"], default="text")

    tls = commands.add_parser("tls", help="TLS helpers")
    tls_commands = tls.add_subparsers(dest="tls_command", required=True)
    export = tls_commands.add_parser("export-ca", help="print the self-signed CA certificate (PEM)")
    export.add_argument("--data-dir", type=Path, default=Path(".strongroom"))

    ca = commands.add_parser("ca", help="the ACM certificate authority")
    ca_commands = ca.add_subparsers(dest="ca_command", required=True)
    export_root = ca_commands.add_parser("export-root", help="print the root CA certificate (PEM)")
    export_root.add_argument("--data-dir", type=Path, default=Path(".strongroom"))
    export_root.add_argument("--database-url", default=None, help="default: SQLite in the data dir")
    export_root.add_argument("--root-key-provider", choices=["file", "passphrase", "pkcs11"], default="file")

    resolve = commands.add_parser(
        "resolve", help="render {{resolve:ssm|ssm-secure|secretsmanager:...}} references in a file"
    )
    resolve.add_argument("file", help="the file to render ('-' for standard input)")
    resolve.add_argument("--output", "-o", type=Path, default=None, help="default: standard output")
    resolve.add_argument(
        "--endpoint-url", default=None, help="default: AWS_ENDPOINT_URL or http://127.0.0.1:4566"
    )
    resolve.add_argument("--region", default=None, help="default: the AWS SDK's region, else us-east-1")

    usage = commands.add_parser("usage", help="what the recorded usage would cost on AWS (AWS list prices)")
    usage.add_argument("--account", default=None, help="one 12-digit account id (default: every account)")
    usage.add_argument("--period", default=None, help="the month, YYYY-MM (default: the current one)")
    usage.add_argument("--format", choices=["text", "json"], default="text")
    usage.add_argument("--data-dir", type=Path, default=Path(".strongroom"))
    usage.add_argument("--database-url", default=None, help="default: SQLite in the data dir")

    args = parser.parse_args(argv)
    if args.command == "resolve":
        return _resolve(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "serve":
        return _serve(args)
    if args.command == "compat":
        from strongroom.compat import render

        sys.stdout.write(render(args.format))
        return 0
    if args.command == "ca":
        return _export_root(args)
    if args.command == "usage":
        from strongroom.usage import print_usage

        return print_usage(args.data_dir, args.database_url, args.account, args.period, args.format)
    if args.command == "tls":
        from strongroom.tls import ca_path

        path = ca_path(args.data_dir)
        if not path.exists():
            sys.stderr.write(f"no CA in {args.data_dir}: start once with --tls self-signed\n")
            return 1
        sys.stdout.write(path.read_text())
        return 0
    return 2


def _resolve(args: argparse.Namespace) -> int:
    from strongroom.resolve import ResolveError, resolve_file

    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    try:
        rendered = resolve_file(text, endpoint_url=args.endpoint_url, region=args.region)
    except ResolveError as exc:
        sys.stderr.write(f"strongroom resolve: {exc}\n")
        return 1
    if args.output is None:
        sys.stdout.write(rendered)
    else:
        args.output.write_text(rendered)
    return 0


def _serve(args: argparse.Namespace) -> int:
    if sum((args.tls_cert is not None, args.tls is not None, args.tls_certificate_arn is not None)) > 1:
        sys.stderr.write("choose one of --tls-cert/--tls-key, --tls and --tls-certificate-arn\n")
        return 2
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
        tls_certificate_arn=args.tls_certificate_arn,
    )
    if args.quota_file is not None and not _use_quota_file(args.quota_file):
        return 2
    if config.dev and not config.loopback_only:
        sys.stderr.write("--dev is refused unless bound to a loopback address (127.0.0.1, ::1, localhost)\n")
        return 2
    from strongroom.server import serve

    serve(config)
    return 0


def _use_quota_file(path: Path) -> bool:
    """Check the file now (a typo should stop the start), then hand it to every worker."""
    import os

    from strongroom.core.quotas import QUOTA_FILE_ENV, load_overrides

    try:
        load_overrides({QUOTA_FILE_ENV: str(path)})
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"--quota-file {path}: {exc}\n")
        return False
    os.environ[QUOTA_FILE_ENV] = str(path.resolve())
    return True


def _export_root(args: argparse.Namespace) -> int:
    from strongroom.bootstrap import prepare
    from strongroom.services.acm.listener import export_root

    config = Config(
        data_dir=args.data_dir, database_url=args.database_url, root_key_provider=args.root_key_provider
    )
    prepare(config)
    sys.stdout.write(export_root(config.data_dir, config.effective_database_url, config.root_key_provider))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
