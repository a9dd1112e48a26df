"""What this CPU can run fast: its feature flags, and the precision ``auto`` picks from them."""

from __future__ import annotations

import logging
from functools import lru_cache

from ..errors import ModelError

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "int8")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags Linux reports (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def bf16_supported() -> bool:
    """True when matrix products in bfloat16 run natively (AVX512-BF16 or AMX) through oneDNN;
    elsewhere bf16 is emulated and slower than fp32."""
    if not any(flag in cpu_flags() for flag in BF16_FLAGS):
        return False
    import torch

    return bool(torch.backends.mkldnn.is_available())


def resolve_precision(precision: str) -> str:
    """The precision actually used: "auto" picks bf16 when supported; bf16 falls back to fp32."""
    if precision not in PRECISIONS:
        raise ModelError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision in ("auto", "bf16"):
        if bf16_supported():
            return "bf16"
        if precision == "bf16":
            log.warning("this CPU has no native bfloat16 (%s); using fp32", "/".join(BF16_FLAGS))
        return "fp32"
    return precision
