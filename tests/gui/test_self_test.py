"""``python -m app --self-test`` as packaging runs it: a process of its own, offscreen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_self_test_answers_one_message_and_reports_json():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "app", "--self-test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, report
    assert report["ok"] and all(report["checks"].values())
    assert report["reply"]["target"] == "local:SmolLM2-135M-Instruct"
    assert report["router"] == "Local only"
