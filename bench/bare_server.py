"""Serve a benchmark's bare ASGI app the way `strongroom serve` serves Strongroom.

    python bench/bare_server.py MODULE:APP --port PORT [--workers N] [--app-dir DIR]

Same uvicorn settings (loop, HTTP protocol, keep-alive) and, with several workers, the same
supervisor with a listening socket per worker: the gap to Strongroom is then Strongroom's own work.
"""

from __future__ import annotations

import argparse
import sys

from strongroom.workers import run_server, uvicorn_options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("app", help="MODULE:APP, an ASGI callable")
    parser.add_argument("--app-dir", default=".", help="put this directory first on sys.path")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, args.app_dir)  # spawned workers inherit the parent's sys.path
    run_server(uvicorn_options(args.app, lifespan="off"), args.host, args.port, max(1, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
