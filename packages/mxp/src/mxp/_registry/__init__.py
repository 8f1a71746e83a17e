"""Implementation of the MXP registry: store, wire protocol, server and client.

The public API is `mxp.registry`; everything here is private.
"""
