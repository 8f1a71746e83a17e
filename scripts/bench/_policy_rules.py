"""Benchmark of the rules engine: decisions/s and p50/p99 per decision for a realistic
20-rule policy (loaded from TOML), against a hand-written if-chain of the same policy in the
same process; and the cost of a `CachedEngine` hit against the uncached decision.

Goal: <= 10 µs per rule decision (p99).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ns_per_call, percentile

from mxp_agents.policy import (
    EmitEvent,
    InvokeTool,
    MemoryWrite,
    ModelInference,
    OutboundMessage,
    PolicyContext,
    PolicyDecision,
    PolicyRequest,
)
from mxp_agents.policy._compose import CachedEngine
from mxp_agents.policy._rules import load_rules

POLICY = """\
[policy]
default = "deny"
default_reason = "not covered by policy"

[[policy.rules]]
name = "sanctioned-payees"
decision = "deny"
reason = "sanctioned country"
when = { tool = "payments.*", args = { "payee.country" = { in = ["KP", "IR", "SY", "CU"] } } }

[[policy.rules]]
name = "big-payments"
decision = "escalate"
reason = "payments over 1000 need finance"
approvers = ["finance"]
when = { tool = ["payments.charge", "payments.refund"], args = { amount = { gt = 1000 } } }

[[policy.rules]]
name = "prod-payments"
decision = "escalate"
reason = "payments over 100 in prod need a lead"
approvers = ["lead"]
when = { tool = "payments.*", tags = ["prod"], args = { amount = { gt = 100 } } }

[[policy.rules]]
name = "payments"
decision = "allow"
when = { tool = "payments.*", args = { currency = { in = ["EUR", "USD", "GBP"] } } }

[[policy.rules]]
name = "other-currencies"
decision = "deny"
reason = "unsupported currency"
when = { tool = "payments.*" }

[[policy.rules]]
name = "reads"
decision = "allow"
when = { tool = ["*.get", "*.list", "*.search"] }

[[policy.rules]]
name = "prod-deletes"
decision = "escalate"
reason = "deletes in prod need an owner"
approvers = ["owner"]
when = { tool = "*.delete", tags = ["prod"] }

[[policy.rules]]
name = "staging-deletes"
decision = "allow"
when = { tool = "*.delete", metadata = { env = "staging" } }

[[policy.rules]]
name = "no-shell"
decision = "deny"
reason = "no shell access"
when = { tool = ["shell.*", "exec"] }

[[policy.rules]]
name = "safe-http"
decision = "allow"
when = { tool = "http.fetch", args = { method = { in = ["GET", "HEAD"] } } }

[[policy.rules]]
name = "unsafe-http"
decision = "escalate"
reason = "writes over HTTP need review"
when = { tool = "http.fetch" }

[[policy.rules]]
name = "hosted-models"
decision = "allow"
when = { provider = "openai", model = ["gpt-4o*", "o3*"] }

[[policy.rules]]
name = "local-models"
decision = "allow"
when = { provider = ["ollama", "llama_cpp"] }

[[policy.rules]]
name = "other-models"
decision = "deny"
reason = "model not approved"
when = { action = "model_inference" }

[[policy.rules]]
name = "secret-memory"
decision = "deny"
reason = "secrets are not remembered"
when = { channel = "secret*" }

[[policy.rules]]
name = "memory"
decision = "allow"
when = { action = "memory_write" }

[[policy.rules]]
name = "crm-calls"
decision = "allow"
when = { message_type = "call", target = "crm.*" }

[[policy.rules]]
name = "external-events"
decision = "escalate"
reason = "events leaving the org need review"
when = { message_type = "event", target = "ext.*" }

[[policy.rules]]
name = "low-risk-events"
decision = "allow"
when = { event = ["deploy.*", "audit.*"], metadata = { risk = { lt = 3 } } }

[[policy.rules]]
name = "internal-tools"
decision = "allow"
when = { tool = "internal.*", tags = ["internal"] }
"""

ALLOW = PolicyDecision.allow()


def _deny(reason: str) -> PolicyDecision:
    return PolicyDecision.deny(reason)


def _escalate(reason: str, *approvers: str) -> PolicyDecision:
    return PolicyDecision.escalate(reason, list(approvers))


D_SANCTIONED = _deny("sanctioned country")
E_BIG = _escalate("payments over 1000 need finance", "finance")
E_PROD = _escalate("payments over 100 in prod need a lead", "lead")
D_CURRENCY = _deny("unsupported currency")
E_DELETE = _escalate("deletes in prod need an owner", "owner")
D_SHELL = _deny("no shell access")
E_HTTP = _escalate("writes over HTTP need review")
D_MODEL = _deny("model not approved")
D_SECRET = _deny("secrets are not remembered")
E_EVENT = _escalate("events leaving the org need review")
D_DEFAULT = _deny("not covered by policy")


def _number(value: object) -> bool:
    return type(value) in (int, float)


def if_chain(request: PolicyRequest) -> PolicyDecision:
    """The same policy, written by hand as a chain of ifs."""
    action = request.action
    context = request.context
    if isinstance(action, InvokeTool):
        name, args = action.name, action.arguments
        if name.startswith("payments."):
            payee = args.get("payee")
            if isinstance(payee, dict) and payee.get("country") in ("KP", "IR", "SY", "CU"):  # type: ignore[union-attr]
                return D_SANCTIONED
            amount = args.get("amount")
            if name in ("payments.charge", "payments.refund") and _number(amount) and amount > 1000:  # type: ignore[operator]
                return E_BIG
            if "prod" in context.tags and _number(amount) and amount > 100:  # type: ignore[operator]
                return E_PROD
            if args.get("currency") in ("EUR", "USD", "GBP"):
                return ALLOW
            return D_CURRENCY
        if name.endswith((".get", ".list", ".search")):
            return ALLOW
        if name.endswith(".delete"):
            if "prod" in context.tags:
                return E_DELETE
            if context.metadata.get("env") == "staging":
                return ALLOW
        if name.startswith("shell.") or name == "exec":
            return D_SHELL
        if name == "http.fetch":
            return ALLOW if args.get("method") in ("GET", "HEAD") else E_HTTP
        if name.startswith("internal.") and "internal" in context.tags:
            return ALLOW
        return D_DEFAULT
    if isinstance(action, ModelInference):
        if action.provider == "openai" and action.model.startswith(("gpt-4o", "o3")):
            return ALLOW
        if action.provider in ("ollama", "llama_cpp"):
            return ALLOW
        return D_MODEL
    if isinstance(action, MemoryWrite):
        return D_SECRET if action.channel.startswith("secret") else ALLOW
    if isinstance(action, OutboundMessage):
        if action.type == "call" and action.target.startswith("crm."):
            return ALLOW
        if action.type == "event" and action.target.startswith("ext."):
            return E_EVENT
        return D_DEFAULT
    risk = context.metadata.get("risk")
    if action.event_type.startswith(("deploy.", "audit.")) and _number(risk) and risk < 3:  # type: ignore[operator]
        return ALLOW
    return D_DEFAULT


def _requests() -> list[PolicyRequest]:
    agent = "0190c3a0-0000-7000-8000-000000000001"
    prod = PolicyContext({"env": "prod", "run_id": "r-1"}, ("prod",))
    staging = PolicyContext({"env": "staging", "run_id": "r-2"}, ())

    def pay(
        amount: object, currency: str = "EUR", country: str = "FR", ctx: PolicyContext = staging
    ) -> PolicyRequest:
        args = {
            "amount": amount,
            "currency": currency,
            "payee": {"country": country, "iban": "FR76..."},
        }
        return PolicyRequest(agent, InvokeTool("payments.charge", arguments=args), ctx)

    return [
        pay(50),
        pay(5000),
        pay(500, ctx=prod),
        pay(50, currency="JPY"),
        pay(50, country="KP"),
        PolicyRequest(agent, InvokeTool("crm.get", arguments={"id": 7}), prod),
        PolicyRequest(agent, InvokeTool("crm.delete", arguments={"id": 7}), prod),
        PolicyRequest(agent, InvokeTool("crm.delete", arguments={"id": 7}), staging),
        PolicyRequest(
            agent, InvokeTool("http.fetch", arguments={"method": "POST", "url": "https://x"}), prod
        ),
        PolicyRequest(agent, InvokeTool("internal.reindex"), PolicyContext(tags=("internal",))),
        PolicyRequest(agent, InvokeTool("unknown.tool"), prod),
        PolicyRequest(agent, ModelInference("openai", "gpt-4o-mini"), prod),
        PolicyRequest(agent, ModelInference("anthropic", "claude"), prod),
        PolicyRequest(agent, MemoryWrite("tool", ("x",)), prod),
        PolicyRequest(agent, OutboundMessage("event", "ext.partner"), prod),
        PolicyRequest(agent, EmitEvent("deploy.web"), PolicyContext({"risk": 1})),
    ]


def _percentiles(
    fn: Callable[[PolicyRequest], object], requests: list[PolicyRequest], rounds: int
) -> tuple[float, float]:
    samples: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for request in requests:
            start = clock()
            fn(request)
            samples.append(clock() - start)
    floor = []
    for _ in range(rounds * len(requests) // 4):
        start = clock()
        floor.append(clock() - start)
    overhead = statistics.median(floor)
    samples = sorted(max(0.0, s - overhead) for s in samples)
    return percentile(samples, 0.5) / 1000, percentile(samples, 0.99) / 1000


def _per_decision_ns(
    fn: Callable[[PolicyRequest], object], requests: list[PolicyRequest], number: int
) -> float:
    def batch() -> None:
        for request in requests:
            fn(request)

    return ns_per_call(batch, number=number) / len(requests)


def measure(*, quick: bool) -> dict[str, Any]:
    """Rule decisions against the if-chain, and cache hits against uncached decisions."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.toml"
        path.write_text(POLICY)
        engine = load_rules(path)
    requests = _requests()
    for request in requests:  # the two must agree before they are compared
        expected = if_chain(request)
        if engine.decide(request) != expected:
            raise AssertionError(f"rules and if-chain disagree on {request.subject}: {expected}")
    cached = CachedEngine(engine, maxsize=1024)
    number = 300 if quick else 3000
    rounds = 300 if quick else 3000
    rules_ns = _per_decision_ns(engine.decide, requests, number)
    chain_ns = _per_decision_ns(if_chain, requests, number)
    cached_ns = _per_decision_ns(cached.decide, requests, number)
    rules_p50, rules_p99 = _percentiles(engine.decide, requests, rounds)
    chain_p50, chain_p99 = _percentiles(if_chain, requests, rounds)
    hit_p50, hit_p99 = _percentiles(cached.decide, requests, rounds)
    rows = [
        [
            "rules decide (20 rules), decisions/s",
            round(1e9 / rules_ns),
            "if-chain",
            round(1e9 / chain_ns),
            round(chain_ns / rules_ns, 2),
        ],
        [
            "rules decide p50, µs",
            round(rules_p50, 2),
            "if-chain p50",
            round(chain_p50, 2),
            round(rules_p50 / max(chain_p50, 1e-3), 1),
        ],
        [
            "rules decide p99, µs",
            round(rules_p99, 2),
            "if-chain p99",
            round(chain_p99, 2),
            round(rules_p99 / max(chain_p99, 1e-3), 1),
        ],
        [
            "cached hit, decisions/s",
            round(1e9 / cached_ns),
            "rules decide",
            round(1e9 / rules_ns),
            round(rules_ns / cached_ns, 2),
        ],
        [
            "cached hit p50 / p99, µs",
            f"{hit_p50:.2f} / {hit_p99:.2f}",
            "rules p50 / p99",
            f"{rules_p50:.2f} / {rules_p99:.2f}",
            "",
        ],
    ]
    stats = cached.stats
    return {
        "title": "Rules engine: a 20-rule policy against a hand-written if-chain; decision cache",
        "header": ["operation", "ours", "baseline", "baseline figure", "ratio"],
        "rows": rows,
        "json": {
            "rules": len(engine),
            "requests": len(requests),
            "rules_decisions_per_s": 1e9 / rules_ns,
            "rules_ns_per_decision": rules_ns,
            "rules_p50_us": rules_p50,
            "rules_p99_us": rules_p99,
            "if_chain_decisions_per_s": 1e9 / chain_ns,
            "if_chain_p50_us": chain_p50,
            "if_chain_p99_us": chain_p99,
            "cached_hits_per_s": 1e9 / cached_ns,
            "cached_hit_p50_us": hit_p50,
            "cached_hit_p99_us": hit_p99,
            "cache_hits": stats.hits,
            "cache_misses": stats.misses,
        },
        "goals": [("<= 10 µs per rule decision (p99)", rules_p99 <= 10.0)],
    }


if __name__ == "__main__":
    from _common import print_table, verdict

    result = measure(quick="--quick" in sys.argv)
    print_table(result["title"], result["header"], result["rows"])
    for goal, ok in result["goals"]:
        print(f"  {goal}: {verdict(ok)}")
