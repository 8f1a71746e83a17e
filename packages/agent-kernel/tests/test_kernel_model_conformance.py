"""The conformance suite against `MxpModel`: a `ReplayModel` served over real UDP with
`serve_model`, called through an `MxpModel` aimed at the server."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager

import msgspec
import pytest

from mxp import MessageType
from mxp.transport import Address, Endpoint, new_message
from mxp_agents.adapters import NO_RETRY, ModelRequest, PriceTable, RetryPolicy
from mxp_agents.adapters.testing import conformance
from mxp_agents.adapters.testing.conformance import ReplayHarness, Reply, SeenRequest
from mxp_agents.kernel import KernelConfig, MxpModel, serve_model
from mxp_agents.primitives import Message


class MxpHarness:
    """A `ReplayHarness` behind MXP: its model is served with `serve_model` on 127.0.0.1 and
    called through an `MxpModel` (retries are the client's only; the served model has none).

    ``name`` is the served provider's: responses and served errors keep it.
    """

    name = ReplayHarness.name
    model_name = ReplayHarness.model_name
    api_key = ReplayHarness.api_key
    scriptable = True
    features = conformance.FEATURES  # every feature holds across MXP

    def __init__(self) -> None:
        self._replay = ReplayHarness()
        self._client: Endpoint | None = None
        self._address: Address | None = None

    @asynccontextmanager
    async def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the model's timeout, not this call's
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AsyncGenerator[MxpModel]:
        async with self._replay.model(
            replies, timeout=timeout, prices=prices, cycle=cycle
        ) as served:
            server = serve_model(served, config=KernelConfig(drain_timeout=2.0))
            async with server.running() as running, Endpoint.bind("127.0.0.1", 0) as client:
                self._client, self._address = client, running.address
                model = MxpModel(
                    running.address,
                    model_name=self.model_name,
                    endpoint=client,
                    timeout=timeout,
                    retry=retry or NO_RETRY,
                    prices=prices,
                )
                try:
                    async with model:
                        yield model
                finally:
                    self._client = self._address = None

    def seen(self) -> list[SeenRequest]:
        return self._replay.seen()

    @property
    def disconnects(self) -> int:
        return self._replay.disconnects

    async def direct_call(self, request: ModelRequest) -> object:
        """The model call as raw MXP: the Call body sent, the Response body returned."""
        assert self._client is not None, "inside model() only"
        assert self._address is not None
        body = msgspec.json.encode({"model_request": request})
        message = new_message(MessageType.CALL, body)
        reply = await self._client.request(message, self._address, timeout=10.0)
        return reply.payload


HARNESS = MxpHarness()


@pytest.mark.parametrize("name", conformance.check_names(HARNESS))
async def test_conformance(name: str) -> None:
    await conformance.run_check(name, HARNESS)


async def test_direct_call_answers_with_the_model_response_json() -> None:
    async with HARNESS.model([Reply(text="hi there")]):
        payload = await HARNESS.direct_call(ModelRequest((Message.user("hi"),)))
    assert isinstance(payload, bytes)
    assert msgspec.json.decode(payload)["text"] == "hi there"
