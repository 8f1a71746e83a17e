"""Benchmark of the MXP codec: encode and decode against a bare ``struct.pack`` floor.

Usage: python scripts/bench/mxp_codec.py [--json] [--quick]

For each payload size (0 B, 256 B, 1 KiB, 16 KiB) it measures, in one process and as medians:
- the floor: ``struct.pack`` of the 32-byte header alone (the least any encoder can do),
- ``mxp.encode``, ``mxp.decode`` and the two together,
and prints ratios to the floor. Goal: encode + decode of a 256-byte frame <= 1.5 us.
"""

from __future__ import annotations

import argparse
import platform
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit_json, ns_per_call, print_table, verdict

import mxp

SIZES = {"0 B": 0, "256 B": 256, "1 KiB": 1024, "16 KiB": 16 * 1024}
GOAL_NS = 1500.0


def measure(quick: bool) -> dict[str, object]:
    number = 20_000 if quick else 100_000
    repeat = 3 if quick else 7
    header = struct.Struct("<IBBHQQQ")
    results: dict[str, dict[str, float]] = {}
    for label, size in SIZES.items():
        message = mxp.Message.new(mxp.MessageType.CALL, b"\x5a" * size)
        frame = mxp.encode(message)
        args = (mxp.MAGIC, 0x10, 0, 0, message.message_id, message.trace_id, size)
        pack = header.pack
        encode, decode = mxp.encode, mxp.decode
        floor = ns_per_call(lambda: pack(*args), number=number, repeat=repeat)
        enc = ns_per_call(lambda: encode(message), number=number, repeat=repeat)
        dec = ns_per_call(lambda: decode(frame), number=number, repeat=repeat)
        both = ns_per_call(lambda: decode(encode(message)), number=number, repeat=repeat)
        results[label] = {
            "payload_bytes": size,
            "struct_pack_floor_ns": floor,
            "encode_ns": enc,
            "decode_ns": dec,
            "encode_decode_ns": both,
            "encode_vs_floor": enc / floor,
            "decode_vs_floor": dec / floor,
        }
    goal_value = results["256 B"]["encode_decode_ns"]
    return {
        "benchmark": "mxp_codec",
        "python": platform.python_version(),
        "results": results,
        "goal": {
            "encode_decode_256B_ns_max": GOAL_NS,
            "measured_ns": goal_value,
            "met": goal_value <= GOAL_NS,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of the MXP codec.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (noisier)")
    options = parser.parse_args()
    data = measure(options.quick)
    if options.json:
        emit_json(data)
        return
    results = data["results"]
    assert isinstance(results, dict)
    rows = [
        (
            label,
            r["struct_pack_floor_ns"],
            r["encode_ns"],
            r["decode_ns"],
            r["encode_decode_ns"],
            f"{r['encode_vs_floor']:.1f}x",
            f"{r['decode_vs_floor']:.1f}x",
        )
        for label, r in results.items()
    ]
    print_table(
        f"MXP codec, ns per call (median), Python {data['python']}",
        ["payload", "pack floor", "encode", "decode", "enc+dec", "enc/floor", "dec/floor"],
        rows,
    )
    goal = data["goal"]
    assert isinstance(goal, dict)
    print(
        f"goal: encode+decode of a 256-byte frame <= {GOAL_NS:,.0f} ns: "
        f"{goal['measured_ns']:,.0f} ns ({verdict(bool(goal['met']))})"
    )


if __name__ == "__main__":
    main()
