"""What Help → About says of the llama.cpp build: the CPU backend's features only."""

from __future__ import annotations

from app.core.providers.local_llama import cpu_features

# Printed by a CUDA build of llama-cpp-python 0.3.36 on an H200 (scripts/build_app's GPU
# flags, checked on a lent GPU machine), and by this project's portable CPU build.
CUDA_BUILD = ("CUDA : ARCHS = 900 | USE_GRAPHS = 1 | FA_QUANTS = q4_0-q4_0,q8_0-q8_0,f16-f16,bf16-bf16 | "
              "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
              "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")
CPU_BUILD = "CPU : SSE3 = 1 | AVX = 1 | AVX512 = 0 | FMA = 1 | "


def test_only_the_cpu_backends_features_that_are_on():
    assert cpu_features(CUDA_BUILD) == ("SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2",
                                        "LLAMAFILE", "OPENMP", "REPACK")
    assert cpu_features(CPU_BUILD) == ("SSE3", "AVX", "FMA")
    assert cpu_features("") == ()
