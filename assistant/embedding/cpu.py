"""What this CPU can run fast: its feature flags, and the precision ``auto`` picks from them."""

from __future__ import annotations

import logging
import os
import sys
from functools import lru_cache

from ..errors import ModelError

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "int8")
RUNTIMES = ("auto", "torch", "openvino")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# Kernel restrictions a user (or bench_perf's AVX2 run) can set: PyTorch's ATen dispatch, oneDNN,
# MKL and fbgemm (int8) each choose their own instructions, so an AVX2 machine is imitated only with
# all four (without FBGEMM_ENABLE_INSTRUCTIONS, int8 ran AVX512-VNNI kernels: a linear layer 1.8x
# faster than fbgemm's AVX2 path). Under any of them the machine is treated as the class it is
# restricted to.
AVX2_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2"}
RESTRICTIONS = tuple(AVX2_ENV)
OPENVINO_INSTALL = "pip install openvino"


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


def restricted_to_avx2() -> bool:
    """True when the kernels are restricted to AVX2 or less (``ATEN_CPU_CAPABILITY=avx2``,
    ``ONEDNN_MAX_CPU_ISA=AVX2``, ...): the CPU is then treated as an AVX2 machine."""
    values = [os.environ.get(name, "").lower() for name in RESTRICTIONS]
    return any(v and "512" not in v and "amx" not in v for v in values)


def cpu_class() -> str:
    """"avx512-bf16", "avx512", "avx2" or "other": what the speed figures and ``auto`` go by."""
    flags = cpu_flags()
    if "avx2" in flags and restricted_to_avx2():
        return "avx2"
    if any(flag in flags for flag in BF16_FLAGS):
        return "avx512-bf16"
    if "avx512f" in flags:
        return "avx512"
    return "avx2" if "avx2" in flags else "other"


def bf16_supported() -> bool:
    """True when matrix products in bfloat16 run natively (AVX512-BF16 or AMX) through oneDNN;
    elsewhere bf16 is emulated and slower than fp32."""
    if cpu_class() != "avx512-bf16":
        return False
    if "torch" not in sys.modules:  # an OpenVINO process never loads PyTorch; OpenVINO has its own kernels
        return True
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


def resolve_runtime(runtime: str, precision: str) -> str:
    """The engine that runs the model: "auto" picks OpenVINO, when it is installed, for bf16 on CPUs
    with native bfloat16 and for fp32 on AVX2 and AVX-512 CPUs without it: there it was measured
    fastest for questions and documents at the same quality (README "Performance";
    ``benchmarks/avx2_runtime_ab.py``: on AVX2 kernels the server's question 51 ms against PyTorch's
    compiled graph at 70 ms, documents 1.5x against 1.26x the baseline; on AVX-512 kernels in fp32
    42 against 53 ms, 1.83x against 1.27x; seeds_qa evidence equal). Elsewhere PyTorch."""
    if runtime not in RUNTIMES:
        raise ModelError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    if runtime == "torch":
        return "torch"
    if runtime == "openvino":
        if not openvino_available():
            raise ModelError(f"the openvino runtime is not installed: {OPENVINO_INSTALL}")
        if precision not in ("fp32", "bf16", "int8"):
            raise ModelError(f"the openvino runtime runs fp32, bf16 or int8, not {precision}")
        return "openvino"
    cls = cpu_class()
    measured = (precision == "bf16" and cls == "avx512-bf16") or (precision == "fp32" and cls in ("avx2", "avx512"))
    return "openvino" if measured and openvino_available() else "torch"


def resolve_model_options(precision: str, runtime: str) -> tuple[str, str]:
    """(precision, runtime) actually used, what ``make_embedder`` builds. ``auto`` picks per CPU class
    what bench_perf measured to pay at unchanged quality: on AVX512-BF16 with OpenVINO, its int8
    weights (documents 1.05-1.2x faster than bf16, questions 0.77-1.0x its time; pooled MRR@10 and
    seeds_qa evidence as bf16), elsewhere ``resolve_precision`` and ``resolve_runtime`` (OpenVINO fp32
    on AVX2 and on AVX-512 without bf16). On AVX2 no int8 is picked: PyTorch's lost 0.056 of seeds_qa
    evidence@1 and was not reliably faster than fp32 for documents; OpenVINO's int8 weights ran a
    question in 610 ms there."""
    chosen = resolve_precision(precision)
    engine = resolve_runtime(runtime, chosen)
    if precision == "auto" and engine == "openvino" and cpu_class() == "avx512-bf16" and nncf_available():
        chosen = "int8"
    return chosen, engine


def nncf_available() -> bool:
    """True when nncf (which writes OpenVINO's int8 weights, once) can be imported; not imported."""
    import importlib.util

    return importlib.util.find_spec("nncf") is not None


def openvino_available() -> bool:
    """True when the openvino package can be imported (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("openvino") is not None
