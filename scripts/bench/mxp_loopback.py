"""MXP request/response over UDP loopback versus an HTTP/1.1 + JSON baseline, in the same run.

Measures requests per second and p50/p99 latency at 1 and 64 requests in flight on 127.0.0.1.
Every server runs in its own process (started by this script); the client runs here, so the
two sides use separate cores as they would in a mesh.

- ``mxp``: an `mxp.transport.Endpoint` client calling a server endpoint whose CALL handler
  decodes the JSON body and answers it (msgspec) as a RESPONSE.
- ``http``: one ``httpx.AsyncClient`` (trio backend, keep-alive, up to one connection per
  request in flight) POSTing the same JSON to a minimal h11-based HTTP/1.1 keep-alive server on
  trio that decodes and echoes it (msgspec). ``http x8`` (64 in flight only) spreads the load
  over eight clients of eight connections, which suits httpx's pool better, and ``http h11``
  drives the same server with a bare h11 client per connection (no pool at all), which shows
  the server's own capacity. The goal ratio is taken against the faster httpx layout (the
  baseline), the ratio to the bare h11 client is printed as well.
- ``udp floor``: a bare trio UDP echo with no protocol at all (same harness), the floor this
  machine sets for any trio UDP transport.

All cases run interleaved, several rounds, and the best round of each case is reported, so a
burst of load from other processes on the machine does not skew one side of a ratio.

Usage::

    .venv/bin/python scripts/bench/mxp_loopback.py            # 3 rounds of 2 s per case (~2 min)
    .venv/bin/python scripts/bench/mxp_loopback.py --quick    # one short round (~15 s)
    .venv/bin/python scripts/bench/mxp_loopback.py --json     # JSON instead of the table
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import h11
import httpx
import msgspec
import trio

from mxp import Message, MessageType
from mxp.transport import Address, Endpoint, EndpointConfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import emit_json, percentile

HOST = "127.0.0.1"
BODY = {"method": "echo", "params": {"text": "hello, mesh", "n": 42}}
IN_FLIGHT = (1, 64)
GOAL_RPS_64 = 25_000
GOAL_RATIO = 10.0
GOAL_P50_US_1 = 150.0

_json_encode = msgspec.json.encode
_json_decode = msgspec.json.decode

Call = Callable[[], Awaitable[None]]
_SCRIPT = os.path.abspath(__file__)


@dataclass
class Result:
    protocol: str
    in_flight: int
    requests: int
    seconds: float
    rps: float
    p50_us: float
    p99_us: float
    errors: int


# -- servers (each runs in a child process) ----------------------------------------------------


async def _echo(request: Message, peer: Address) -> Message:
    return request.reply(MessageType.RESPONSE, _json_encode(_json_decode(request.payload)))


async def serve_mxp() -> None:
    async with Endpoint.bind(HOST, 0, config=EndpointConfig()) as endpoint:
        print(endpoint.local_address[1], flush=True)
        await endpoint.serve({MessageType.CALL: _echo})


async def _http_connection(stream: trio.SocketStream) -> None:
    conn = h11.Connection(h11.SERVER)
    body = bytearray()
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await stream.receive_some(65536)
                if not data:
                    return
                conn.receive_data(data)
            elif isinstance(event, h11.Request):
                body.clear()
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                payload = _json_encode(_json_decode(bytes(body)))
                headers = [
                    ("content-type", "application/json"),
                    ("content-length", str(len(payload))),
                ]
                out = b"".join(
                    conn.send(part) or b""
                    for part in (
                        h11.Response(status_code=200, headers=headers),
                        h11.Data(data=payload),
                        h11.EndOfMessage(),
                    )
                )
                await stream.send_all(out)
                conn.start_next_cycle()
            else:  # ConnectionClosed, PAUSED
                return
    except (h11.RemoteProtocolError, trio.BrokenResourceError, trio.ClosedResourceError):
        return
    finally:
        await stream.aclose()


async def serve_http() -> None:
    listeners = await trio.open_tcp_listeners(0, host=HOST)
    print(listeners[0].socket.getsockname()[1], flush=True)
    await trio.serve_listeners(_http_connection, listeners)


async def serve_udp() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind((HOST, 0))
    print(sock.getsockname()[1], flush=True)
    while True:
        await trio.lowlevel.wait_readable(sock)
        while True:
            try:
                data, peer = sock.recvfrom(65536)
            except BlockingIOError:
                break
            sock.sendto(data, peer)


# -- clients -----------------------------------------------------------------------------------


async def _drive(
    calls: list[Call], seconds: float, warmup: float
) -> tuple[list[float], int, float]:
    """Run each of ``calls`` in its own task in a loop; latencies of calls after the warmup."""
    latencies: list[float] = []
    errors = 0
    clock = time.perf_counter
    measure_from = clock() + warmup
    stop = measure_from + seconds

    async def worker(call: Call) -> None:
        nonlocal errors
        while True:
            t0 = clock()
            if t0 >= stop:
                return
            try:
                await call()
            except Exception:
                errors += 1
                continue
            if t0 >= measure_from:
                latencies.append(clock() - t0)

    async with trio.open_nursery() as nursery:
        for call in calls:
            nursery.start_soon(worker, call)
    return latencies, errors, clock() - measure_from


def _summarise(
    protocol: str, in_flight: int, latencies: list[float], errors: int, elapsed: float
) -> Result:
    if not latencies:
        return Result(protocol, in_flight, 0, round(elapsed, 3), 0.0, 0.0, 0.0, errors)
    ordered = sorted(latencies)
    return Result(
        protocol=protocol,
        in_flight=in_flight,
        requests=len(ordered),
        seconds=round(elapsed, 3),
        rps=round(len(ordered) / elapsed, 1),
        p50_us=round(percentile(ordered, 0.5) * 1e6, 1),
        p99_us=round(percentile(ordered, 0.99) * 1e6, 1),
        errors=errors,
    )


async def bench_mxp(port: int, in_flight: int, seconds: float, warmup: float) -> list[Result]:
    payload = _json_encode(BODY)
    server = (HOST, port)
    async with Endpoint.bind(HOST, 0) as client:

        async def call() -> None:
            message = Message.new(MessageType.CALL, payload)
            reply = await client.request(message, server, timeout=5.0)
            _json_decode(reply.payload)

        latencies, errors, elapsed = await _drive([call] * in_flight, seconds, warmup)
    return [_summarise("mxp", in_flight, latencies, errors, elapsed)]


def _http_call(client: httpx.AsyncClient, url: str, payload: bytes) -> Call:
    headers = {"content-type": "application/json"}

    async def call() -> None:
        response = await client.post(url, content=payload, headers=headers)
        response.raise_for_status()
        _json_decode(response.content)

    return call


async def bench_http(port: int, in_flight: int, seconds: float, warmup: float) -> list[Result]:
    payload = _json_encode(BODY)
    url = f"http://{HOST}:{port}/rpc"
    results: list[Result] = []
    layouts = [("http", 1)] + ([("http x8", 8)] if in_flight >= 8 else [])
    for name, clients in layouts:
        per_client = in_flight // clients
        limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
        pool = [httpx.AsyncClient(limits=limits, timeout=5.0) for _ in range(clients)]
        try:
            calls = [_http_call(pool[i % clients], url, payload) for i in range(in_flight)]
            latencies, errors, elapsed = await _drive(calls, seconds, warmup)
        finally:
            for client in pool:
                await client.aclose()
        results.append(_summarise(name, in_flight, latencies, errors, elapsed))
    streams = [await trio.open_tcp_stream(HOST, port) for _ in range(in_flight)]
    try:
        calls = [_h11_call(stream, payload) for stream in streams]
        latencies, errors, elapsed = await _drive(calls, seconds, warmup)
    finally:
        for stream in streams:
            await stream.aclose()
    results.append(_summarise("http h11", in_flight, latencies, errors, elapsed))
    return results


def _h11_call(stream: trio.SocketStream, payload: bytes) -> Call:
    """POST ``payload`` on a keep-alive connection with a bare h11 client."""
    conn = h11.Connection(h11.CLIENT)
    headers = [
        ("host", HOST),
        ("content-type", "application/json"),
        ("content-length", str(len(payload))),
    ]

    async def call() -> None:
        request = b"".join(
            conn.send(part) or b""
            for part in (
                h11.Request(method="POST", target="/rpc", headers=headers),
                h11.Data(data=payload),
                h11.EndOfMessage(),
            )
        )
        await stream.send_all(request)
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.Response) and event.status_code != 200:
                raise RuntimeError(f"HTTP {event.status_code}")
        conn.start_next_cycle()
        _json_decode(bytes(body))

    return call


async def bench_udp(port: int, in_flight: int, seconds: float, warmup: float) -> list[Result]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind((HOST, 0))
    server = (HOST, port)
    waiting: dict[bytes, trio.lowlevel.Task] = {}
    counter = iter(range(1 << 62))

    async def receive() -> None:
        while True:
            await trio.lowlevel.wait_readable(sock)
            while True:
                try:
                    data, _ = sock.recvfrom(65536)
                except BlockingIOError:
                    break
                task = waiting.pop(data, None)
                if task is not None:
                    trio.lowlevel.reschedule(task)

    def abort(_: Any) -> trio.lowlevel.Abort:
        return trio.lowlevel.Abort.SUCCEEDED

    async def call() -> None:
        key = next(counter).to_bytes(8, "little") + _json_encode(BODY)
        waiting[key] = trio.lowlevel.current_task()
        sock.sendto(key, server)
        with trio.fail_after(5):
            await trio.lowlevel.wait_task_rescheduled(abort)

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(receive)
            latencies, errors, elapsed = await _drive([call] * in_flight, seconds, warmup)
            nursery.cancel_scope.cancel()
    finally:
        sock.close()
    return [_summarise("udp floor", in_flight, latencies, errors, elapsed)]


Bench = Callable[[int, int, float, float], Awaitable[list[Result]]]


async def _start_server(kind: str) -> tuple[trio.Process, int]:
    """Start ``--serve kind`` in a child process; returns it and the port it printed."""
    process = await trio.lowlevel.open_process(
        [sys.executable, _SCRIPT, "--serve", kind], stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    line = b""
    with trio.fail_after(30):
        while not line.endswith(b"\n"):
            chunk = await process.stdout.receive_some(64)
            if not chunk:
                raise RuntimeError(f"the {kind} server exited before printing its port")
            line += chunk
    return process, int(line)


async def _stop(process: trio.Process) -> None:
    process.terminate()
    with trio.move_on_after(5):
        await process.wait()
    if process.returncode is None:
        process.kill()


async def run(seconds: float, warmup: float, rounds: int) -> list[Result]:
    """Every case ``rounds`` times, interleaved; the best round of each case is kept."""
    benches: list[tuple[str, Bench]] = [
        ("mxp", bench_mxp),
        ("http", bench_http),
        ("udp", bench_udp),
    ]
    servers: dict[str, tuple[trio.Process, int]] = {}
    best: dict[tuple[str, int], Result] = {}
    try:
        for kind, _ in benches:
            servers[kind] = await _start_server(kind)
        for _ in range(rounds):
            for kind, bench in benches:
                for n in IN_FLIGHT:
                    for result in await bench(servers[kind][1], n, seconds, warmup):
                        key = (result.protocol, result.in_flight)
                        if key not in best or result.rps > best[key].rps:
                            best[key] = result
    finally:
        for process, _ in servers.values():
            await _stop(process)
    return list(best.values())


# -- report ------------------------------------------------------------------------------------


def _best(results: list[Result], prefix: str) -> dict[int, Result]:
    best: dict[int, Result] = {}
    for r in results:
        if r.protocol.startswith(prefix) and (
            r.in_flight not in best or r.rps > best[r.in_flight].rps
        ):
            best[r.in_flight] = r
    return best


def _ratio(a: float, b: float, digits: int = 2) -> float | None:
    return round(a / b, digits) if b else None


def _report(results: list[Result]) -> dict[str, Any]:
    mxp = _best(results, "mxp")
    floor = _best(results, "udp floor")
    httpx_best = _best([r for r in results if r.protocol in ("http", "http x8")], "http")
    h11 = _best(results, "http h11")
    ratios: dict[str, float | None] = {}
    for n in IN_FLIGHT:
        ratios[f"rps_vs_httpx_{n}"] = _ratio(mxp[n].rps, httpx_best[n].rps)
        ratios[f"p50_vs_httpx_{n}"] = _ratio(mxp[n].p50_us, httpx_best[n].p50_us, 3)
        ratios[f"rps_vs_h11_client_{n}"] = _ratio(mxp[n].rps, h11[n].rps)
        ratios[f"rps_vs_udp_floor_{n}"] = _ratio(mxp[n].rps, floor[n].rps)
    vs_http = ratios["rps_vs_httpx_64"] or 0.0
    goals = {
        "rps_64": (f">= {GOAL_RPS_64} req/s", mxp[64].rps, mxp[64].rps >= GOAL_RPS_64),
        "vs_http_64": (f">= {GOAL_RATIO:g}x httpx", vs_http, vs_http >= GOAL_RATIO),
        "p50_us_1": (f"<= {GOAL_P50_US_1:g} us", mxp[1].p50_us, mxp[1].p50_us <= GOAL_P50_US_1),
    }
    return {
        "results": [asdict(r) for r in sorted(results, key=_order)],
        "ratios": ratios,
        "goals": {k: {"goal": g, "measured": v, "met": m} for k, (g, v, m) in goals.items()},
    }


def _order(r: Result) -> tuple[int, int]:
    kinds = ["mxp", "http", "http x8", "http h11", "udp floor"]
    return (kinds.index(r.protocol) if r.protocol in kinds else 99, r.in_flight)


def _print_table(report: dict[str, Any]) -> None:
    columns = ("in flight", "requests", "req/s", "p50 µs", "p99 µs")
    print(f"{'case':<10} " + " ".join(f"{c:>9}" for c in columns) + f" {'err':>4}")
    for r in report["results"]:
        print(
            f"{r['protocol']:<10} {r['in_flight']:>9} {r['requests']:>9} {r['rps']:>9.0f} "
            f"{r['p50_us']:>9.1f} {r['p99_us']:>9.1f} {r['errors']:>4}"
        )
    ratios = report["ratios"]
    print()
    for n in IN_FLIGHT:
        print(
            f"{n:>2} in flight: MXP/httpx throughput x{ratios[f'rps_vs_httpx_{n}']}, "
            f"p50 x{ratios[f'p50_vs_httpx_{n}']}; MXP/bare-h11-client throughput "
            f"x{ratios[f'rps_vs_h11_client_{n}']}; MXP/bare UDP x{ratios[f'rps_vs_udp_floor_{n}']}"
        )
    print()
    for name, goal in report["goals"].items():
        mark = "met" if goal["met"] else "NOT met"
        print(f"goal {name:<11} {goal['goal']:<17} measured {goal['measured']!s:<10} {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="short run (about 1 s per case)")
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per case")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds of all cases (best kept; default 3, 1 quick)",
    )
    parser.add_argument("--serve", choices=("mxp", "http", "udp"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    servers = {"mxp": serve_mxp, "http": serve_http, "udp": serve_udp}
    if args.serve:
        trio.run(servers[args.serve])
        return
    seconds = args.seconds if args.seconds is not None else (0.8 if args.quick else 2.0)
    warmup = 0.2 if args.quick else 0.3
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    report = _report(trio.run(run, seconds, warmup, rounds))
    report["settings"] = {"seconds": seconds, "warmup": warmup, "rounds": rounds}
    if args.json:
        emit_json(report)
    else:
        _print_table(report)


if __name__ == "__main__":
    main()
