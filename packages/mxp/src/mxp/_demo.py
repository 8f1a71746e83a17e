"""The live demo behind ``python -m mxp demo``: a registry and two agents on 127.0.0.1.

An ``echo`` agent (capability ``demo.echo``) and a ``math`` agent (capability ``math.add``)
register with an embedded registry, find each other by capability and call each other; the
demo then prints who registered, what discovery returned, every call with its round-trip time
and the endpoints' metrics. Everything binds 127.0.0.1 on port 0 and finishes in about a second.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Final, TextIO

import msgspec
import trio

from mxp._errors import MxpError
from mxp._message import Message
from mxp._types import MessageType
from mxp.bodies import AgentRecord, ErrorResponse, encode_body, format_address, parse_address
from mxp.registry import (
    Registration,
    RegistryClient,
    RegistryClientConfig,
    RegistryServer,
)
from mxp.transport import Endpoint, current_trace_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mxp.transport import Address, MetricsSnapshot

HOST: Final = "127.0.0.1"
DEMO_TIMEOUT: Final = 15.0
CALL_TIMEOUT: Final = 2.0


class EchoRequest(msgspec.Struct, frozen=True):
    """Body of a ``demo.echo`` call."""

    text: str


class EchoReply(msgspec.Struct, frozen=True):
    """Answer of a ``demo.echo`` call."""

    echo: str


class AddRequest(msgspec.Struct, frozen=True):
    """Body of a ``math.add`` call."""

    a: float
    b: float


class AddReply(msgspec.Struct, frozen=True):
    """Answer of a ``math.add`` call."""

    sum: float


class CallResult(msgspec.Struct, frozen=True):
    """One call the demo made, for the summary."""

    caller: str
    callee: str
    request: str
    reply: str
    rtt: float
    ok: bool


def _invalid(request: Message, error: msgspec.MsgspecError) -> Message:
    body = ErrorResponse(error=f"invalid call body: {error}", code="invalid_request")
    return request.reply(MessageType.ERROR, encode_body(body))


async def _echo(request: Message, peer: Address) -> Message:
    try:
        body = msgspec.json.decode(request.payload, type=EchoRequest)
    except msgspec.MsgspecError as error:
        return _invalid(request, error)
    return request.reply(MessageType.RESPONSE, msgspec.json.encode(EchoReply(echo=body.text)))


async def _add(request: Message, peer: Address) -> Message:
    try:
        body = msgspec.json.decode(request.payload, type=AddRequest)
    except msgspec.MsgspecError as error:
        return _invalid(request, error)
    reply = AddReply(sum=body.a + body.b)
    return request.reply(MessageType.RESPONSE, msgspec.json.encode(reply))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


async def _call(endpoint: Endpoint, target: AgentRecord, payload: bytes) -> tuple[Message, float]:
    message = Message.new(MessageType.CALL, payload, trace_id=current_trace_id())
    started = time.perf_counter()
    reply = await endpoint.request(message, parse_address(target.address), timeout=CALL_TIMEOUT)
    return reply, time.perf_counter() - started


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


class _Report:
    """Writes the demo's sections to the output stream."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def line(self, text: str = "") -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def section(self, title: str) -> None:
        self.line()
        self.line(title)
        self.line("=" * len(title))

    def lines(self, lines: Sequence[str]) -> None:
        for text in lines:
            self.line(text)


async def run_demo(out: TextIO, *, rounds: int = 3) -> bool:
    """Run the demo, writing its report to ``out``; ``True`` if every step succeeded.

    Example:
        >>> import sys
        >>> trio.run(run_demo, sys.stdout)
        True
    """
    report = _Report(out)
    started = time.perf_counter()
    report.line("MXP live demo: a registry, an 'echo' agent and a 'math' agent on 127.0.0.1")
    try:
        with trio.fail_after(DEMO_TIMEOUT):
            ok = await _run(report, rounds)
    except (MxpError, trio.TooSlowError, OSError) as error:
        reason = "timed out" if isinstance(error, trio.TooSlowError) else str(error)
        report.line()
        report.line(f"FAILED: {type(error).__name__}: {reason}")
        return False
    elapsed = time.perf_counter() - started
    report.line()
    report.line(("OK" if ok else "FAILED") + f" - demo finished in {elapsed:.2f} s")
    return ok


async def _run(report: _Report, rounds: int) -> bool:
    client_config = RegistryClientConfig(request_timeout=2.0, register_timeout=5.0)
    async with (
        RegistryServer.open(HOST, 0) as server,
        Endpoint.bind(HOST, 0) as echo_endpoint,
        Endpoint.bind(HOST, 0) as math_endpoint,
    ):
        echo_endpoint.set_handler(MessageType.CALL, _echo)
        math_endpoint.set_handler(MessageType.CALL, _add)
        echo = Registration(
            id=str(uuid.uuid4()),
            name="echo",
            capabilities=["demo.echo"],
            address=format_address(*echo_endpoint.local_address),
            version="0.1.0",
            description="repeats what it is sent",
            tags=["demo", "text"],
        )
        math = Registration(
            id=str(uuid.uuid4()),
            name="math",
            capabilities=["math.add"],
            address=format_address(*math_endpoint.local_address),
            version="0.1.0",
            description="adds two numbers",
            tags=["demo", "math"],
        )
        echo_client = RegistryClient(echo_endpoint, server.address, config=client_config)
        math_client = RegistryClient(math_endpoint, server.address, config=client_config)

        report.section("Registry")
        report.line(f"  listening on {format_address(*server.address)}")

        async with (
            echo_client.keep_registered(echo),
            math_client.keep_registered(math),
        ):
            report.section("Registered agents")
            report.lines(
                _table(
                    ["name", "id", "address", "capabilities", "version", "tags", "status"],
                    [
                        [
                            a.name,
                            a.id[:8],
                            a.address,
                            ", ".join(a.capabilities),
                            a.version,
                            ", ".join(a.tags),
                            a.status.value,
                        ]
                        for a in server.list_agents()
                    ],
                )
            )

            report.section("Discovery")
            found_math = await echo_client.discover("math.add")
            found_echo = await math_client.discover("demo.echo")
            rows: list[list[str]] = []
            for asker, capability, found in (
                ("echo", "math.add", found_math),
                ("math", "demo.echo", found_echo),
            ):
                answer = ", ".join(f"{a.name} @ {a.address} ({a.status.value})" for a in found)
                rows.append([asker, capability, str(len(found)), answer or "(none)"])
            report.lines(_table(["asker", "capability", "found", "agents"], rows))
            if len(found_math) != 1 or len(found_echo) != 1:
                report.line("  discovery did not return exactly one agent per capability")
                return False

            report.section("Calls")
            calls = await _exchange(
                echo_endpoint, math_endpoint, found_math[0], found_echo[0], rounds
            )
            report.lines(
                _table(
                    ["#", "caller", "callee", "request", "reply", "round trip", "result"],
                    [
                        [
                            str(i),
                            c.caller,
                            c.callee,
                            c.request,
                            c.reply,
                            _ms(c.rtt),
                            "ok" if c.ok else "WRONG",
                        ]
                        for i, c in enumerate(calls, 1)
                    ],
                )
            )
            rtts = sorted(c.rtt for c in calls)
            report.line(
                f"  {len(calls)} calls, round trip min {_ms(rtts[0])}, "
                f"median {_ms(rtts[len(rtts) // 2])}, max {_ms(rtts[-1])}"
            )

        report.section("Deregistration")
        remaining = server.list_agents()
        report.line(f"  both agents left; the registry now holds {len(remaining)} agent(s)")

        report.section("Endpoint metrics")
        report.lines(
            _metrics_table(
                [
                    ("registry", server.endpoint.metrics()),
                    ("echo", echo_endpoint.metrics()),
                    ("math", math_endpoint.metrics()),
                ]
            )
        )
        return all(c.ok for c in calls) and not remaining


async def _exchange(
    echo_endpoint: Endpoint,
    math_endpoint: Endpoint,
    math_record: AgentRecord,
    echo_record: AgentRecord,
    rounds: int,
) -> list[CallResult]:
    pairs = [(2.0, 3.0), (40.0, 2.0), (-7.0, 7.5), (1e3, 24.0), (0.5, 0.25)]
    texts = ["hello", "mxp over udp", "round trip", "ping", "bye"]
    calls: list[CallResult] = []
    for i in range(rounds):
        a, b = pairs[i % len(pairs)]
        calls.append(await _add_call(echo_endpoint, math_record, a, b))
        calls.append(await _echo_call(math_endpoint, echo_record, texts[i % len(texts)]))
    return calls


def _reply_text(reply: Message) -> str:
    if reply.type is MessageType.ERROR:
        return "error: " + msgspec.json.decode(reply.payload, type=ErrorResponse).error
    return reply.payload.decode("utf-8", "replace")


async def _add_call(endpoint: Endpoint, target: AgentRecord, a: float, b: float) -> CallResult:
    reply, rtt = await _call(endpoint, target, msgspec.json.encode(AddRequest(a=a, b=b)))
    ok = False
    shown = _reply_text(reply)
    if reply.type is MessageType.RESPONSE:
        total = msgspec.json.decode(reply.payload, type=AddReply).sum
        ok = total == a + b
        shown = _number(total)
    return CallResult(
        caller="echo",
        callee=target.name,
        request=f"math.add({_number(a)}, {_number(b)})",
        reply=shown,
        rtt=rtt,
        ok=ok,
    )


async def _echo_call(endpoint: Endpoint, target: AgentRecord, text: str) -> CallResult:
    reply, rtt = await _call(endpoint, target, msgspec.json.encode(EchoRequest(text=text)))
    ok = False
    shown = _reply_text(reply)
    if reply.type is MessageType.RESPONSE:
        echoed = msgspec.json.decode(reply.payload, type=EchoReply).echo
        ok = echoed == text
        shown = repr(echoed)
    return CallResult(
        caller="math",
        callee=target.name,
        request=f"demo.echo({text!r})",
        reply=shown,
        rtt=rtt,
        ok=ok,
    )


def _metrics_table(rows: Sequence[tuple[str, MetricsSnapshot]]) -> list[str]:
    lines = _table(
        [
            "endpoint",
            "frames out",
            "frames in",
            "bytes out",
            "bytes in",
            "requests",
            "retransmits",
            "dup. suppressed",
            "timeouts",
        ],
        [
            [
                name,
                str(sum(m.frames_out.values())),
                str(sum(m.frames_in.values())),
                str(m.bytes_out),
                str(m.bytes_in),
                str(m.requests),
                str(m.retransmits),
                str(m.duplicates_suppressed),
                str(m.request_timeouts),
            ]
            for name, m in rows
        ],
    )
    lines.append("")
    for name, m in rows:
        by_type = ", ".join(f"{kind} {n}" for kind, n in sorted(m.frames_out.items()) if n)
        lines.append(f"  {name} sent: {by_type or 'nothing'}")
    return lines
