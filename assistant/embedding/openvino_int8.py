"""The converted model in int8, weights and activations (``precision=int8`` in OpenVINO): written once
by nncf's post-training quantisation, beside the fp16 model (``Artifacts.int8``).

Why: on a CPU with AVX512-VNNI (or AMX) OpenVINO then runs the matrix products in int8, which
``benchmarks/int8_ab.py`` measured to embed passages 1.3-1.6x as fast as int8 weights alone (those
only halve the bytes read; the products stay bf16), a question in 0.88-0.90x the time. Quality,
measured against fp32 on the full sets (README *Performance*): pooled MRR@10 hybrid 0.961 vs 0.963,
dense 0.944 vs 0.948; seeds_qa evidence@1 0.849 as fp32.

How: the activation ranges come from ``calibration_ar.jsonl``, 200 general Arabic texts shipped with
the package (120 questions and 80 passages of the xquad_ar / tydiqa_goldp_ar Wikipedia material, none
of the evaluation's question sample), each prompted as the model is at run time. nncf's transformer
preset (symmetric int8 weights per channel, asymmetric activations) with SmoothQuant, which moves the
activations' outliers into the weights; the two Dense heads after pooling keep fp16, as their inputs
are few and quantising them buys nothing. What changes the result is in the file's name
(``openvino_runtime.int8_tag``: this scheme's version, nncf's version, the calibration file's hash).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

from ..errors import GraphError
from .openvino_runtime import (
    CALIBRATION,
    MIN_COSINE_INT8,
    PROBE,
    Artifacts,
    OpenVINOEncoder,
    load_tokenizer,
    lookup,
    token_batch,
    unit,
)

NNCF_INSTALL = "pip install nncf"


def calibration_inputs(folder: Path, artifacts: Artifacts, path: Path = CALIBRATION) -> list[dict[int, np.ndarray]]:
    """The model's inputs (token vectors, mask) for each calibration text, one text per item, prompted
    as at run time (questions with the query prompt, passages with the document prompt)."""
    meta = json.loads(artifacts.meta.read_text(encoding="utf-8"))
    tokenizer = load_tokenizer(folder, meta)
    table = np.load(artifacts.tokens, mmap_mode="r")
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        ids, mask = token_batch(tokenizer, [meta["prompts"][row["kind"]] + row["text"]])
        items.append({0: lookup(table, ids, meta), 1: mask})
    return items


def head_layers(model) -> list[str]:
    """The matrix products that keep fp16: the two Dense heads, the model's last two."""
    products = [op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"]
    return products[-2:]


def quantize(folder: Path, artifacts: Artifacts) -> float:
    """Write ``artifacts.int8``: the converted model quantised to int8 (weights and activations),
    checked against the fp16 one on the probe texts (cosine ≥ MIN_COSINE_INT8); seconds taken."""
    try:
        import nncf
    except ImportError as exc:
        raise GraphError(f"the int8 model for OpenVINO needs nncf: {NNCF_INSTALL}") from exc
    import openvino as ov

    t0 = time.perf_counter()
    tmp = artifacts.int8.with_name(f".{os.getpid()}-{artifacts.int8.name}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ov.Core().read_model(str(artifacts.xml))
            data = calibration_inputs(folder, artifacts)
            model = nncf.quantize(model, nncf.Dataset(data), model_type=nncf.ModelType.TRANSFORMER,
                                  subset_size=len(data),
                                  ignored_scope=nncf.IgnoredScope(names=head_layers(model), validate=False))
            ov.save_model(model, str(tmp), compress_to_fp16=False)
        meta = json.loads(artifacts.meta.read_text(encoding="utf-8"))
        ids, mask = token_batch(load_tokenizer(folder, meta), PROBE)
        embeds = lookup(np.load(artifacts.tokens, mmap_mode="r"), ids, meta)
        reference = OpenVINOEncoder(artifacts.xml, "fp32").infer(embeds, mask)
        got = OpenVINOEncoder(tmp, "int8").infer(embeds, mask)
        cosine = float(np.min(np.sum(unit(reference) * unit(got), axis=1)))
        if cosine < MIN_COSINE_INT8:
            raise GraphError(f"int8 moves the vectors too far (cosine {cosine:.4f})")
    except Exception as exc:  # nncf and OpenVINO raise many kinds; all mean "no int8 model"
        for leftover in (tmp, tmp.with_suffix(".bin")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, GraphError):
            raise
        raise GraphError(f"cannot quantise the model: {type(exc).__name__}: {str(exc)[:300]}") from exc
    os.replace(tmp.with_suffix(".bin"), artifacts.int8.with_suffix(".bin"))
    os.replace(tmp, artifacts.int8)  # last: its presence means the pair is complete
    return time.perf_counter() - t0
