"""The gateway benchmark: signed STS GetCallerIdentity under load, against its two yardsticks.

    python bench/gateway.py [--duration 10] [--warmup 2] [--connections 32] [--workers 2]

One run loads, one after the other and with the same wrk settings:

  bare        a bare ASGI endpoint on Strongroom's server stack (uvicorn, uvloop, httptools, same
              worker count) answering a fixed GetCallerIdentityResponse: the framework's limit;
  strongroom  `strongroom serve --dev`: routing, SigV4 verification, parsing, validation, the
              handler, serialization and the audit record of every call;
  moto        `moto_server`, the common alternative (one threaded Werkzeug process).

Each request is one POST signed with SigV4 (botocore's SigV4Auth, for the real current time and
the target's own Host header) and replayed by wrk: SigV4 has no nonce, so the same signature
stays valid for 15 minutes, longer than any one target's run. Before loading, each target must
answer that exact request with 200 and a GetCallerIdentityResponse; after loading, Strongroom
must have answered no error at all, or the benchmark fails.

The bare endpoint is also loaded with one wrk thread and with two: if a second load-generator
thread adds nothing and wrk's own CPU share stays far below the server's, the figures measure
the server, not wrk.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import http.client
import os
import sys
import tempfile
from pathlib import Path

from _support import (
    BARE_BODY_ENV,
    ServerProcess,
    WrkResult,
    format_table,
    free_port,
    http_status,
    machine_description,
    ratio,
    require_executable,
    run_wrk,
    say,
    uvicorn_command,
    wrk_request_script,
)

BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
REGION = "us-east-1"
SIGNATURE_LIFETIME_S = 15 * 60
GOAL_VS_MOTO = 10.0
GOAL_VS_BARE = 0.35

# What AWS answers; Strongroom answers the same elements, so both bodies have the same size.
BARE_RESPONSE = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn>"
    "<UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>"
    "</ResponseMetadata></GetCallerIdentityResponse>"
)


@dataclasses.dataclass
class Target:
    key: str
    label: str
    workers: str
    server: ServerProcess


@dataclasses.dataclass
class Run:
    target: Target
    result: WrkResult


def signed_headers(port: int) -> dict[str, str]:
    """The headers of a GetCallerIdentity request signed now by the dev credentials for this port."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"127.0.0.1:{port}"
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=BODY,
        headers={"Host": host, "Content-Type": CONTENT_TYPE},
    )
    SigV4Auth(Credentials("test", "test"), "sts", REGION).add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


def check_answer(target: Target, headers: dict[str, str]) -> None:
    """The exact request wrk will replay must get 200 and a GetCallerIdentityResponse."""
    conn = http.client.HTTPConnection("127.0.0.1", target.server.port, timeout=30)
    try:
        conn.request("POST", "/", body=BODY, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200 or b"<GetCallerIdentityResponse" not in body:
        raise SystemExit(
            f"error: {target.label} answered the benchmark request with {response.status}:\n"
            f"{body[:2000].decode(errors='replace')}"
        )


def load(target: Target, args: argparse.Namespace, work: Path, *, threads: int) -> WrkResult:
    headers = signed_headers(target.server.port)
    check_answer(target, headers)
    script = work / f"{target.key}.lua"
    script.write_text(wrk_request_script("POST", "/", headers, BODY))
    if args.warmup > 0:
        run_wrk(
            target.server.url,
            script=script,
            connections=args.connections,
            threads=threads,
            seconds=args.warmup,
        )
    return run_wrk(
        target.server.url,
        script=script,
        connections=args.connections,
        threads=threads,
        seconds=args.duration,
        server=target.server,
    )


def describe(run: Run) -> str:
    r = run.result
    failed = f", {r.failed} FAILED" if r.failed else ""
    return (
        f"  {run.target.label:<11} {r.requests_per_second:>9,.0f} req/s  p50 {r.p50_ms:.2f} ms  "
        f"p99 {r.p99_ms:.2f} ms  (wrk -t{r.threads}; server {cores(r.server_cpu_seconds, r):.2f} "
        f"cores, wrk {cores(r.wrk_cpu_seconds, r):.2f}, rest {cores(r.other_cpu_seconds, r):.2f}; "
        f"connections per process {spread(r)}{failed})"
    )


def cores(cpu_seconds: float, result: WrkResult) -> float:
    return cpu_seconds / result.seconds if result.seconds else 0.0


def per_round(runs: dict[str, list[Run]], baseline: str, *, percent: bool) -> str:
    """The same ratio round by round, to show how much the machine's noise moved it."""
    if len(runs["strongroom"]) < 2:
        return ""
    values = [
        s.result.requests_per_second / b.result.requests_per_second
        for s, b in zip(runs["strongroom"], runs[baseline], strict=True)
        if b.result.requests_per_second
    ]
    shown = ", ".join(f"{v:.0%}" if percent else f"{v:.2f}x" for v in values)
    return f"; per round: {shown}"


def spread(result: WrkResult) -> str:
    return "/".join(map(str, result.connections_per_process)) or "unknown"


def cpu_per_request_us(result: WrkResult) -> float:
    return result.server_cpu_seconds / result.requests * 1e6 if result.requests else 0.0


def median_run(runs: list[Run]) -> Run:
    """The run with the median throughput (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda r: r.result.requests_per_second)
    return ordered[(len(ordered) - 1) // 2]


def strongroom_command(port: int, data_dir: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "strongroom.cli", "serve", "--dev", "--port", str(port),
            "--data-dir", str(data_dir), "--workers", str(workers)]  # fmt: skip


def targets(args: argparse.Namespace, work: Path) -> dict[str, Target]:
    ports = {key: free_port() for key in ("bare", "strongroom", "moto")}
    bin_dir = Path(sys.executable).parent
    return {
        "bare": Target(
            "bare",
            "bare ASGI",
            str(args.workers),
            ServerProcess(
                "bare ASGI",
                uvicorn_command("_support:bare_app", ports["bare"], args.workers),
                ports["bare"],
                ready=lambda: http_status(ports["bare"]) == 200,
                log_dir=work,
                env={BARE_BODY_ENV: BARE_RESPONSE},
            ),
        ),
        "strongroom": Target(
            "strongroom",
            "Strongroom",
            str(args.workers),
            ServerProcess(
                "Strongroom",
                strongroom_command(ports["strongroom"], work / "data", args.workers),
                ports["strongroom"],
                ready=lambda: http_status(ports["strongroom"], "/_strongroom/health") == 200,
                log_dir=work,
            ),
        ),
        "moto": Target(
            "moto",
            "moto_server",
            "1 (threaded)",
            ServerProcess(
                "moto_server",
                [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(ports["moto"])],
                ports["moto"],
                ready=lambda: http_status(ports["moto"], "/moto-api/") is not None,
                log_dir=work,
            ),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per target and round")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of Strongroom and bare")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads for the compared runs")
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds over the three targets; the median run is reported"
    )
    args = parser.parse_args(argv)
    if args.warmup + args.duration >= SIGNATURE_LIFETIME_S - 60:
        parser.error("warm-up plus duration must stay well under the 15 minutes a signature lives")
    if min(args.duration, args.connections, args.workers, args.threads, args.rounds) < 1:
        parser.error("--duration, --connections, --workers, --threads and --rounds must be at least 1")
    require_executable("wrk", "wrk")
    started = datetime.datetime.now(datetime.UTC)
    load1, load5, _ = os.getloadavg()
    say(f"Gateway benchmark, {started:%Y-%m-%d %H:%M} UTC, on {machine_description()}")
    say(f"load average before the run: {load1:.2f} (1 min), {load5:.2f} (5 min)")
    say(
        f"signed STS GetCallerIdentity (SigV4 header auth), {args.connections} connections, "
        f"{args.warmup:g} s warm-up + {args.duration:g} s measured per target, {args.rounds} round(s)"
    )

    with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        by_key = targets(args, work)
        try:
            for target in by_key.values():
                stack.enter_context(target.server)  # all up front; an idle server costs nothing
        except RuntimeError as exc:
            say(f"error: {exc}", sys.stderr)
            return 1

        say("\nload generator ceiling: the bare endpoint with 1 and with 2 wrk threads")
        ceiling: list[Run] = []
        for threads in sorted({1, 2}):
            ceiling.append(Run(by_key["bare"], load(by_key["bare"], args, work, threads=threads)))
            say(describe(ceiling[-1]))

        # Interleaved rounds, so that a noisy neighbour hurts every target alike.
        runs: dict[str, list[Run]] = {key: [] for key in by_key}
        for round_number in range(1, args.rounds + 1):
            say(f"\nround {round_number} of {args.rounds}")
            for key in ("bare", "strongroom", "moto"):
                target = by_key[key]
                runs[key].append(Run(target, load(target, args, work, threads=args.threads)))
                say(describe(runs[key][-1]))

    say("\nload generator ceiling (bare ASGI endpoint)")
    say(
        format_table(
            ["wrk threads", "req/s", "p50 ms", "p99 ms", "wrk CPU", "server CPU", "rest CPU"],
            [
                [
                    r.result.threads,
                    r.result.requests_per_second,
                    r.result.p50_ms,
                    r.result.p99_ms,
                    cores(r.result.wrk_cpu_seconds, r.result),
                    cores(r.result.server_cpu_seconds, r.result),
                    cores(r.result.other_cpu_seconds, r.result),
                ]
                for r in ceiling
            ],
        )
    )
    say(
        f"CPU: cores busy during the measured seconds (the machine has {os.cpu_count()}); 'rest' is"
        " everything but wrk and the server: other processes and the kernel's loopback networking"
    )
    chosen = {key: median_run(key_runs) for key, key_runs in runs.items()}
    median_note = f", median of {args.rounds} rounds" if args.rounds > 1 else ""
    say(f"\nresults (wrk -t{args.threads} -c{args.connections}{median_note})")
    say(
        format_table(
            [
                "target",
                "workers",
                "conns",
                "req/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "server CPU",
                "CPU us/req",
                "rest CPU",
            ],
            [
                [
                    run.target.label,
                    run.target.workers,
                    spread(run.result),
                    run.result.requests_per_second,
                    run.result.p50_ms,
                    run.result.p99_ms,
                    run.result.failed,
                    cores(run.result.server_cpu_seconds, run.result),
                    cpu_per_request_us(run.result),
                    cores(run.result.other_cpu_seconds, run.result),
                ]
                for run in (chosen["strongroom"], chosen["bare"], chosen["moto"])
            ],
        )
    )
    rps = {key: run.result.requests_per_second for key, run in chosen.items()}
    vs_moto = rps["strongroom"] / rps["moto"] if rps["moto"] else 0.0
    vs_bare = rps["strongroom"] / rps["bare"] if rps["bare"] else 0.0
    say(
        f"\nStrongroom / moto_server: {vs_moto:.2f}x"
        f"  (goal >= {GOAL_VS_MOTO:g}x: {'met' if vs_moto >= GOAL_VS_MOTO else 'MISSED'})"
        f"{per_round(runs, 'moto', percent=False)}"
    )
    say(
        f"Strongroom / bare ASGI:   {vs_bare:.0%}"
        f"  (goal >= {GOAL_VS_BARE:.0%}: {'met' if vs_bare >= GOAL_VS_BARE else 'MISSED'})"
        f"{per_round(runs, 'bare', percent=True)}"
    )
    # CPU per request does not depend on how much CPU the neighbours left: the steadier figure.
    cost = {key: cpu_per_request_us(run.result) for key, run in chosen.items()}
    say(
        f"server CPU per request: Strongroom {cost['strongroom']:,.0f} us, bare ASGI "
        f"{cost['bare']:,.0f} us, moto_server {cost['moto']:,.0f} us "
        f"(Strongroom costs {ratio(cost['strongroom'], cost['bare'])} the bare endpoint)"
    )
    failures = [run.result for run in runs["strongroom"] if run.result.failed]
    if failures:
        for r in failures:
            say(
                f"FAILED: Strongroom answered {r.error_statuses} error statuses (>= 400) and had "
                f"socket errors {r.socket_errors} under load"
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
