"""The ``mxp`` command line: ``decode``, ``registry``, ``ping`` and ``demo``.

Exit status: 0 on success, 1 when the operation failed (bad frame, no reply, demo failure),
2 for bad command-line arguments.

Example:
    $ python -m mxp decode 3150584d10000000efcdab8967452301214365...
    $ python -m mxp registry --port 50051
    $ python -m mxp ping 127.0.0.1:50051
    $ python -m mxp demo
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import string
import sys
import time
from typing import TYPE_CHECKING, Any, Final

import msgspec
import trio

from mxp._codec import decode
from mxp._errors import MxpError
from mxp._message import Message
from mxp._types import CHECKSUM_SIZE, HEADER_SIZE, Flags, MessageType
from mxp.bodies import DiscoverRequest, encode_body, format_address, parse_address

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mxp.registry import RegistryConfig

PING_CAPABILITY: Final = "mxp.ping"
"""Capability asked for by ``mxp ping``'s AgentDiscover probe (nobody is expected to have it)."""
_PRINTABLE: Final = frozenset(string.printable) - frozenset("\x0b\x0c")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); the exit status.

    Example:
        >>> main(["decode", "3150584d0300000001000000000000000200000000000000"
        ...               "000000000000000015ed41dbea1b11f6"])
        type        AgentHeartbeat (0x03)
        ...
        0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    command: str = args.command
    if command == "decode":
        return _decode_command(args.hex, as_json=args.json)
    if command == "registry":
        return _registry_command(args)
    if command == "ping":
        return _ping_command(args)
    return _demo_command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mxp",
        description="MXP (Mesh eXchange Protocol) tools: decode frames, run a registry, "
        "ping an endpoint, run the live demo.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dec = commands.add_parser(
        "decode",
        help="decode one frame given in hex",
        description="Decode one MXP frame given in hex (spaces, colons and a 0x prefix are "
        "ignored; '-' reads stdin) and print its fields and payload. Exits 1 if the frame is "
        "invalid, printing the reference decoder's error message.",
    )
    dec.add_argument("hex", help="the frame's bytes in hex, or '-' for stdin")
    dec.add_argument("--json", action="store_true", help="print the fields as one JSON object")

    reg = commands.add_parser(
        "registry",
        help="run an MXP registry until Ctrl-C",
        description="Run an in-memory MXP registry. The first line printed is "
        "'mxp registry listening on IP:PORT'; registrations are logged on stderr. "
        "Stops on Ctrl-C or SIGTERM.",
    )
    reg.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    reg.add_argument("--port", type=int, default=50051, help="UDP port (default 50051; 0: any)")
    reg.add_argument(
        "--heartbeat-interval",
        type=float,
        default=10.0,
        help="seconds between expected heartbeats (default 10; Offline after 3 missed)",
    )
    reg.add_argument(
        "--evict-after",
        type=float,
        default=120.0,
        help="seconds without heartbeat before an agent is removed (default 120)",
    )
    reg.add_argument("--max-agents", type=int, default=10_000, help="most agents (default 10000)")

    ping = commands.add_parser(
        "ping",
        help="measure the round trip to an MXP endpoint",
        description="Send probes to an MXP endpoint and report each round trip. The default "
        "probe is an AgentDiscover for the capability 'mxp.ping': a registry answers it with an "
        "empty list, any other mxp endpoint with an Error 'unsupported'; '--probe call' sends an "
        "empty Call instead. Any reply counts (the transport retransmits within --timeout). "
        "Exits 1 unless every probe got a reply.",
    )
    ping.add_argument("address", help="IP:PORT of the endpoint ([IPv6]:PORT for IPv6)")
    ping.add_argument("-c", "--count", type=int, default=3, help="probes to send (default 3)")
    ping.add_argument(
        "--timeout", type=float, default=2.0, help="seconds to wait per probe (default 2)"
    )
    ping.add_argument(
        "--interval", type=float, default=0.2, help="seconds between probes (default 0.2)"
    )
    ping.add_argument("--probe", choices=["discover", "call"], default="discover")

    demo = commands.add_parser(
        "demo",
        help="run the live demo on 127.0.0.1",
        description="Start a registry and two agents on 127.0.0.1, let them register, "
        "discover each other and exchange calls, then print a summary. Exits 1 on failure.",
    )
    demo.add_argument("--rounds", type=int, default=3, help="call rounds (default 3)")
    return parser


# -- decode ------------------------------------------------------------------------------------


def _type_name(message_type: MessageType) -> str:
    """The reference's variant name: ``AGENT_REGISTER`` -> ``AgentRegister``."""
    return "".join(part.capitalize() for part in message_type.name.split("_"))


def _parse_hex(text: str) -> bytes:
    cleaned = text.strip()
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    for separator in (" ", ":", "\n", "\t", "\r"):
        cleaned = cleaned.replace(separator, "")
    return bytes.fromhex(cleaned)


def _payload_view(payload: bytes) -> tuple[str, Any]:
    """How to show a payload: ``("empty"|"json"|"text"|"hex", value)``."""
    if not payload:
        return "empty", ""
    try:
        return "json", json.loads(payload)
    except ValueError:
        pass
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return "hex", payload.hex()
    if all(ch in _PRINTABLE or ch.isprintable() for ch in text):
        return "text", text
    return "hex", payload.hex()


def _hexdump(data: bytes) -> list[str]:
    lines: list[str] = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"  {offset:08x}  {chunk.hex(' '):<47}  {shown}")
    return lines


def _decode_command(text: str, *, as_json: bool) -> int:
    if text == "-":
        text = sys.stdin.read()
    try:
        data = _parse_hex(text)
    except ValueError as error:
        print(
            f"error: the frame is not valid hex ({error}); pass the bytes like 3150584d...",
            file=sys.stderr,
        )
        return 2
    try:
        message = decode(data)
    except MxpError as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"  ({type(error).__name__}, {len(data)} bytes given)", file=sys.stderr)
        return 1
    end = HEADER_SIZE + len(message.payload)
    checksum = int.from_bytes(data[end : end + CHECKSUM_SIZE], "little")
    flags = [flag.name for flag in Flags if flag and flag in message.flags and flag.name]
    kind, value = _payload_view(message.payload)
    if as_json:
        fields: dict[str, Any] = {
            "message_type": _type_name(message.type),
            "type_byte": int(message.type),
            "flags": int(message.flags),
            "flags_decoded": flags,
            "message_id": message.message_id,
            "trace_id": message.trace_id,
            "payload_len": len(message.payload),
            "payload_hex": message.payload.hex(),
            "checksum": f"{checksum:016x}",
        }
        if kind in ("json", "text"):
            fields["payload_" + kind] = value
        print(json.dumps(fields, ensure_ascii=False))
        return 0
    rows = [
        ("type", f"{_type_name(message.type)} (0x{int(message.type):02x})"),
        ("flags", f"0x{int(message.flags):02x} ({' | '.join(flags) or 'none'})"),
        ("message_id", f"0x{message.message_id:016x} ({message.message_id})"),
        ("trace_id", f"0x{message.trace_id:016x} ({message.trace_id})"),
        ("payload", f"{len(message.payload)} bytes"),
        ("checksum", f"0x{checksum:016x} (xxh3-64, valid)"),
    ]
    for name, shown in rows:
        print(f"{name:<11} {shown}")
    if len(data) > end + CHECKSUM_SIZE:
        print(f"{'trailing':<11} {len(data) - end - CHECKSUM_SIZE} bytes after the frame (ignored)")
    if kind == "json":
        print("payload as JSON:")
        print(json.dumps(value, indent=2, ensure_ascii=False))
    elif kind == "text":
        print("payload as text:")
        print(value)
    elif kind == "hex":
        print("payload as hex:")
        print("\n".join(_hexdump(message.payload)))
    return 0


# -- registry ----------------------------------------------------------------------------------


def _registry_command(args: argparse.Namespace) -> int:
    from mxp.registry import RegistryConfig, RegistryError

    try:
        config = RegistryConfig(
            heartbeat_interval=args.heartbeat_interval,
            evict_after=args.evict_after,
            max_agents=args.max_agents,
        )
    except RegistryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        trio.run(_run_registry, args.host, args.port, config)
    except OSError as error:
        print(
            f"error: cannot run the registry on {args.host}:{args.port}: {error}", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _run_registry(host: str, port: int, config: RegistryConfig) -> None:
    from mxp.registry import RegistryServer

    stop = [signal.SIGINT, signal.SIGTERM] if hasattr(signal, "SIGTERM") else [signal.SIGINT]
    with trio.open_signal_receiver(*stop) as signals:
        async with RegistryServer.open(host, port, config=config) as server:
            print(f"mxp registry listening on {format_address(*server.address)}", flush=True)
            logging.getLogger("mxp.registry").info(
                "registry up: heartbeat every %.1f s, Offline after %.1f s, evicted after %.1f s, "
                "at most %d agents",
                config.heartbeat_interval,
                config.offline_after,
                config.evict_after,
                config.max_agents,
            )
            async for received in signals:
                logging.getLogger("mxp.registry").info(
                    "%s received: stopping (%d agents registered)",
                    signal.Signals(received).name,
                    len(server.store),
                )
                break
    print("mxp registry stopped", flush=True)


# -- ping --------------------------------------------------------------------------------------


def _ping_command(args: argparse.Namespace) -> int:
    try:
        target = parse_address(args.address)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.count < 1 or args.timeout <= 0 or args.interval < 0:
        print("error: --count must be >= 1, --timeout > 0 and --interval >= 0", file=sys.stderr)
        return 2
    return trio.run(_ping, target, args.count, args.timeout, args.interval, args.probe)


def _probe(kind: str) -> Message:
    if kind == "call":
        return Message.new(MessageType.CALL, b"")
    return Message.new(
        MessageType.AGENT_DISCOVER, encode_body(DiscoverRequest(capability=PING_CAPABILITY))
    )


def _describe(reply: Message) -> str:
    if reply.type is MessageType.ERROR:
        try:
            error = msgspec.json.decode(reply.payload)
        except msgspec.DecodeError:
            return "Error"
        if isinstance(error, dict) and "code" in error:
            return f"Error ({error['code']})"
        return "Error"
    return _type_name(reply.type)


async def _ping(
    target: tuple[str, int], count: int, wait: float, interval: float, kind: str
) -> int:
    from mxp.transport import Endpoint, RequestTimeout

    where = format_address(*target)
    host = "::1" if ":" in target[0] else "127.0.0.1"
    if not target[0].startswith(("127.", "::1")):
        host = "::" if ":" in target[0] else "0.0.0.0"
    probe = "AgentDiscover" if kind == "discover" else "Call"
    print(f"PING {where} with {count} {probe} probe(s), timeout {wait:g} s", flush=True)
    rtts: list[float] = []
    async with Endpoint.bind(host, 0) as endpoint:
        for seq in range(1, count + 1):
            if seq > 1:
                await trio.sleep(interval)
            message = _probe(kind)
            started = time.perf_counter()
            try:
                reply = await endpoint.request(message, target, timeout=wait)
            except RequestTimeout:
                print(f"no reply from {where}: seq={seq} timed out after {wait:g} s", flush=True)
                continue
            rtt = time.perf_counter() - started
            rtts.append(rtt)
            print(
                f"reply from {where}: {_describe(reply)} seq={seq} time={rtt * 1000:.3f} ms",
                flush=True,
            )
        retransmits = endpoint.metrics().retransmits
    lost = count - len(rtts)
    print(f"--- {where} ping statistics ---")
    summary = f"{count} probes sent, {len(rtts)} replies, {lost} lost, {retransmits} retransmits"
    if rtts:
        avg = sum(rtts) / len(rtts)
        summary += (
            f"; round trip min/avg/max = {min(rtts) * 1000:.3f}/{avg * 1000:.3f}/"
            f"{max(rtts) * 1000:.3f} ms"
        )
    print(summary, flush=True)
    return 0 if lost == 0 else 1


# -- demo --------------------------------------------------------------------------------------


def _demo_command(args: argparse.Namespace) -> int:

    if args.rounds < 1:
        print("error: --rounds must be >= 1", file=sys.stderr)
        return 2
    logging.getLogger("mxp").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    ok = trio.run(_demo, args.rounds)
    return 0 if ok else 1


async def _demo(rounds: int) -> bool:
    from mxp._demo import run_demo

    return await run_demo(sys.stdout, rounds=rounds)
