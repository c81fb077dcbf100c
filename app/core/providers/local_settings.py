"""How local models run (``LocalModelSettings``), as plain data.

Kept apart from ``local_llama.py``, which imports llama.cpp at module level: settings,
the controller and the UI read and write these values without loading llama.cpp.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from app.core.router.targets import LOCAL_PROVIDER

LOCAL = LOCAL_PROVIDER  # the in-process provider's id, the part before ":" in its targets


def default_threads() -> int:
    # Half the logical CPUs ≈ the physical cores, where llama.cpp is fastest; small
    # machines (≤ 2 CPUs) get them all.
    cpus = os.cpu_count() or 1
    return cpus if cpus <= 2 else max(1, cpus // 2)


@dataclass(frozen=True, slots=True)
class LocalModelSettings:
    n_ctx: int = 4096
    n_threads: int | None = None  # None: default_threads()
    n_batch: int = 512
    n_gpu_layers: int = 0  # -1: all layers, when the build supports GPU offload
