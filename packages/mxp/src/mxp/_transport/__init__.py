"""Implementation of `mxp.transport`: the trio UDP endpoint and its parts.

Modules, one job each: ``_types`` (Address, Handler), ``_config`` (EndpointConfig), ``_errors``
(transport errors), ``_metrics`` (counters, latency histogram, snapshot), ``_dedup``
(at-most-once window), ``_address`` (ports, bind and peer address resolution), ``_io`` (the
non-blocking datagram socket), ``_trace`` (current trace id), ``_replies`` (Error replies).
Streams: ``_wire`` (stream body format), ``_stream_base`` (keys, states, buffer budget, Ack
frames), ``_send_window`` and ``_outbound`` (the sender: window and congestion control, then the
producer API and timer), ``_inbound_state`` and ``_inbound`` (the receiver: state and Acks, then
reassembly), ``_stream_table`` (the endpoint's streams). Endpoint: ``_waiter`` (calls waiting
for replies and the retransmission timer), ``_agents`` (the receive/handler task pool),
``_endpoint_core`` (shared state), ``_requests`` (send, request, request_stream), ``_receive``
(the per-datagram receive path), ``_handling`` (handlers) and ``_endpoint`` (the Endpoint).
Import the public API from `mxp.transport`.
"""
