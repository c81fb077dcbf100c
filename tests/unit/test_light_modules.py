"""Plain data and the classifier import without llama.cpp (issue 17, "light modules").

Each check runs in a fresh interpreter where ``import llama_cpp`` fails, as on a machine
whose llama.cpp build is missing or broken: settings must still load, so the app can
say what is wrong instead of failing at start-up.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# None in sys.modules makes every later ``import llama_cpp`` raise ImportError.
NO_LLAMA = "import sys; sys.modules['llama_cpp'] = None\n"
HEAVY = ("app.core.providers.local_llama", "app.core.providers.registry")


def run_without_llama(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", NO_LLAMA + code], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=60)


def test_the_shim_really_hides_llama_cpp():
    proc = run_without_llama("import app.core.providers.local_llama")
    assert proc.returncode != 0 and "import of llama_cpp halted" in proc.stderr


@pytest.mark.parametrize("module", [
    "app.core.settings",
    "app.core.providers.config",
    "app.core.providers.local_settings",
    "app.core.router.classifier",
])
def test_imports_without_llama_cpp(module: str):
    proc = run_without_llama(f"import {module}\nprint(sorted(set({HEAVY!r}) & set(sys.modules)))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", f"{module} pulled in {proc.stdout.strip()}"
