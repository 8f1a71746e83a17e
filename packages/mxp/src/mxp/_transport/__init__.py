"""Implementation of `mxp.transport`: the trio UDP endpoint and its parts.

Modules, one job each: ``_types`` (Address, Handler), ``_config`` (EndpointConfig), ``_errors``
(transport errors), ``_metrics`` (counters, latency histogram, snapshot), ``_dedup``
(at-most-once window), ``_wire`` (stream body format), ``_streams`` (stream sender and
reassembly), ``_stream_table`` (the endpoint's streams), ``_waiter`` (calls waiting for replies
and the retransmission timer), ``_agents`` (the receive/handler task pool), ``_io`` (the
non-blocking datagram socket), ``_trace`` (current trace id) and ``_endpoint`` (the Endpoint).
Import the public API from `mxp.transport`.
"""
