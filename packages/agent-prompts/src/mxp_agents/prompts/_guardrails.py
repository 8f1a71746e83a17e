"""`Guardrails`: PII, secret and prompt-injection detection, redaction and blocking."""

from __future__ import annotations

import bisect
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from mxp_agents.prompts._detector import Detector
from mxp_agents.prompts._detectors import DEFAULT_DETECTORS
from mxp_agents.prompts._errors import GuardrailViolation, InvalidArgument
from mxp_agents.prompts._guardrails_config import DEFAULT_MARKER, DEFAULT_POLICIES, GuardrailsConfig
from mxp_agents.prompts._hits import (
    GuardrailHit,
    GuardrailReport,
    JsonRedaction,
    Policy,
    RedactionResult,
    masked_preview,
)
from mxp_agents.prompts._injection import DEFAULT_DENY_PATTERNS, PRECOMPILED_DENY, deny_detectors
from mxp_agents.prompts._json_walk import map_strings, string_leaves

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["Guardrails"]

_NEWLINE: Final = re.compile("\n")


def _policy(value: object, key: str) -> Policy:
    try:
        return Policy(value)
    except ValueError:
        raise InvalidArgument(
            f"policy {value!r} for {key!r} is not one of flag, redact, block"
        ) from None


class Guardrails:
    """Scans text and JSON-like tool arguments for PII, secrets and prompt injection.

    Built-in kinds — PII: ``email``, ``phone``, ``credit_card`` (Luhn), ``iban`` (mod 97),
    ``ipv4``, ``ipv6`` (validated by `ipaddress`); secrets: ``private_key``, ``jwt``,
    ``anthropic_key``, ``openai_key``, ``github_token``, ``slack_token``, ``google_api_key``,
    ``aws_access_key``, ``bearer_token``; and ``injection`` for the ``deny`` patterns
    (case-insensitive). A hit whose text is in ``allow`` (a literal, compared
    case-insensitively, or a regex it fully matches) is never reported.

    Each hit gets a policy — ``policies`` by kind, then by category (``pii``, ``secret``,
    ``injection``, or a custom detector's), then `DEFAULT_POLICIES`, else ``flag``.
    Overlapping matches merge into one hit spanning them all, whose kind is that of the
    strictest policy (block > redact > flag), then the earliest, then the longest match.

    Example:
        >>> guard = Guardrails(allow=["support@acme.io"])
        >>> key = "AKIA" + "IOSFODNN7EXAMPLE"
        >>> guard.redact(f"Mail support@acme.io or ada@example.com, key {key}").text
        'Mail support@acme.io or [REDACTED:email], key [REDACTED:aws_access_key]'
    """

    __slots__ = ("_allow_literals", "_allow_patterns", "_detectors", "_marker", "_policies")

    def __init__(
        self,
        *,
        detectors: Iterable[Detector] = DEFAULT_DETECTORS,
        deny: Iterable[str | re.Pattern[str]] = DEFAULT_DENY_PATTERNS,
        allow: Iterable[str | re.Pattern[str]] = (),
        policies: Mapping[str, Policy | str] | None = None,
        marker: str = DEFAULT_MARKER,
    ) -> None:
        denied = PRECOMPILED_DENY if deny is DEFAULT_DENY_PATTERNS else deny_detectors(deny)
        found = (*tuple(detectors), *denied)
        for detector in found:
            if not isinstance(detector, Detector):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidArgument(f"expected a Detector, got {type(detector).__name__}")
        known = {name for detector in found for name in (detector.kind, detector.category)}
        chosen = {key: _policy(value, key) for key, value in (policies or {}).items()}
        unknown = sorted(key for key in chosen if key not in known)
        if unknown:
            raise InvalidArgument(
                f"policies name unknown kinds or categories {unknown}; known: {sorted(known)}"
            )
        self._detectors = tuple(
            (
                detector,
                chosen.get(detector.kind)
                or chosen.get(detector.category)
                or DEFAULT_POLICIES.get(detector.category, Policy.FLAG),
            )
            for detector in found
        )
        self._policies = MappingProxyType({d.kind: p for d, p in self._detectors})
        literals: set[str] = set()
        patterns: list[re.Pattern[str]] = []
        for entry in allow:
            if isinstance(entry, str):
                literals.add(entry.casefold())
            else:
                patterns.append(entry)
        self._allow_literals = frozenset(literals)
        self._allow_patterns = tuple(patterns)
        if not marker.strip():
            raise InvalidArgument("marker cannot be blank")
        self._marker = marker

    @classmethod
    def from_config(
        cls, config: GuardrailsConfig, *, detectors: Iterable[Detector] = DEFAULT_DETECTORS
    ) -> Guardrails:
        """Guardrails with the settings of ``config`` (and optionally other detectors).

        Raises:
            InvalidArgument: ``disabled`` names a kind that no detector has.

        Example:
            >>> Guardrails.from_config(GuardrailsConfig(disabled=("ipv4",))).scan("1.2.3.4").clean
            True
        """
        chosen = tuple(detectors)
        kinds = {detector.kind for detector in chosen}
        missing = sorted(set(config.disabled) - kinds)
        if missing:
            raise InvalidArgument(f"disabled names unknown kinds {missing}; known: {sorted(kinds)}")
        deny = (
            (*DEFAULT_DENY_PATTERNS, *config.deny_patterns)
            if config.default_deny
            else config.deny_patterns
        )
        allow: list[str | re.Pattern[str]] = [*config.allow]
        allow.extend(re.compile(pattern) for pattern in config.allow_patterns)
        return cls(
            detectors=[detector for detector in chosen if detector.kind not in config.disabled],
            deny=DEFAULT_DENY_PATTERNS if deny == DEFAULT_DENY_PATTERNS else deny,
            allow=allow,
            policies=config.policies,
            marker=config.marker,
        )

    @property
    def policies(self) -> Mapping[str, Policy]:
        """The policy of each kind the guardrails detect.

        Example:
            >>> Guardrails(policies={"pii": "flag"}).policies["email"]
            <Policy.FLAG: 'flag'>
        """
        return self._policies

    def scan(self, text: str) -> GuardrailReport:
        """Every hit in ``text``, whatever its policy; never raises for a hit.

        Example:
            >>> report = Guardrails().scan("card 4111 1111 1111 1111")
            >>> [(hit.kind, hit.start, hit.end) for hit in report.hits]
            [('credit_card', 5, 24)]
        """
        return GuardrailReport(tuple(self._scan(text, None)))

    def redact(self, text: str) -> RedactionResult:
        """``text`` with each ``redact`` hit replaced by the marker; ``flag`` hits stay.

        Raises:
            GuardrailViolation: a hit's policy is ``block`` (values masked in the message).

        Example:
            >>> Guardrails(marker="<{kind}>").redact("ip 10.0.0.1").text
            'ip <ipv4>'
        """
        hits = self._scan(text, None)
        _raise_for_blocks(hits)
        return RedactionResult(self._apply(text, hits), tuple(hits))

    def scan_json(self, value: object) -> GuardrailReport:
        """Every hit in the string leaves of a JSON-like value, with the leaf's JSON path.

        Example:
            >>> hit = Guardrails().scan_json({"args": {"email": "ada@example.com"}}).hits[0]
            >>> (hit.kind, hit.path, hit.start)
            ('email', '$.args.email', 0)
        """
        hits: list[GuardrailHit] = []
        for path, text in string_leaves(value):
            hits.extend(self._scan(text, path))
        return GuardrailReport(tuple(hits))

    def redact_json(self, value: object) -> JsonRedaction:
        """A copy of a JSON-like value with its string leaves redacted (the input is unchanged).

        Raises:
            GuardrailViolation: a hit's policy is ``block``.

        Example:
            >>> Guardrails().redact_json({"note": "call +1 415 555 2671", "n": 3}).value
            {'note': 'call [REDACTED:phone]', 'n': 3}
        """
        hits: list[GuardrailHit] = []

        def change(path: str, text: str) -> str:
            found = self._scan(text, path)
            hits.extend(found)
            return self._apply(text, found) if found else text

        redacted = map_strings(value, change)
        _raise_for_blocks(hits)
        return JsonRedaction(redacted, tuple(hits))

    def _allowed(self, value: str) -> bool:
        if value.casefold() in self._allow_literals:
            return True
        return any(pattern.fullmatch(value) for pattern in self._allow_patterns)

    def _scan(self, text: str, path: str | None) -> list[GuardrailHit]:
        if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidArgument(f"guardrails scan str, got {type(text).__name__}")
        matches: list[tuple[int, int, int]] = []
        lowered = text.lower()
        applies: dict[tuple[tuple[str, ...], bool], bool] = {}
        for order, (detector, _) in enumerate(self._detectors):
            key = (detector.requires, detector.lowercase)
            ready = applies.get(key)
            if ready is None:
                ready = applies[key] = detector.applies(text, lowered)
            if not ready:
                continue
            for start, end in detector.find(text, lowered, prefilter=False):
                if not self._allowed(text[start:end]):
                    matches.append((start, end, order))
        if not matches:
            return []
        matches.sort()
        newlines = [match.start() for match in _NEWLINE.finditer(text)]
        hits: list[GuardrailHit] = []
        cluster = [matches[0]]
        cluster_end = matches[0][1]
        for match in matches[1:]:
            if match[0] < cluster_end:
                cluster.append(match)
                cluster_end = max(cluster_end, match[1])
            else:
                hits.append(self._hit(text, cluster, cluster_end, newlines, path))
                cluster, cluster_end = [match], match[1]
        hits.append(self._hit(text, cluster, cluster_end, newlines, path))
        return hits

    def _hit(
        self,
        text: str,
        cluster: list[tuple[int, int, int]],
        end: int,
        newlines: list[int],
        path: str | None,
    ) -> GuardrailHit:
        detectors = self._detectors

        def rank(match: tuple[int, int, int]) -> tuple[int, int, int, int]:
            start, end, order = match
            return (-detectors[order][1].severity, start, start - end, order)

        detector, policy = detectors[min(cluster, key=rank)[2]]
        start = cluster[0][0]
        line = bisect.bisect_left(newlines, start)
        column = start - (newlines[line - 1] + 1 if line else 0) + 1
        return GuardrailHit(
            kind=detector.kind,
            category=detector.category,
            policy=policy,
            start=start,
            end=end,
            line=line + 1,
            column=column,
            preview=masked_preview(text[start:end], detector.category),
            path=path,
        )

    def _apply(self, text: str, hits: list[GuardrailHit]) -> str:
        pieces: list[str] = []
        position = 0
        for hit in hits:
            if hit.policy is Policy.REDACT:
                pieces.append(text[position : hit.start])
                pieces.append(self._marker.replace("{kind}", hit.kind))
                position = hit.end
        pieces.append(text[position:])
        return "".join(pieces)

    def __repr__(self) -> str:
        kinds = tuple(dict.fromkeys(detector.kind for detector, _ in self._detectors))
        return f"Guardrails(kinds={kinds!r})"


def _raise_for_blocks(hits: list[GuardrailHit]) -> None:
    blocking = [hit for hit in hits if hit.policy is Policy.BLOCK]
    if blocking:
        raise GuardrailViolation(blocking)
