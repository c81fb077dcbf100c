"""``python -m app history --conversation ID`` shows a regenerated reply as the version
chosen in the window, and says which of how many it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.core.store import Store, default_db_path


def test_history_shows_the_chosen_version_and_says_so(switchboard_home: Path) -> None:
    with Store(default_db_path()) as store:
        cid = store.create_conversation("Cats")
        store.add_message(cid, "user", "Name a grey cat.")
        reply = store.add_message(cid, "assistant", "Smokey.", target="local:m")
        store.new_version(reply)
        store.update_message(reply, content="Ash.", status="complete", target="local:m")
        store.choose_version(reply, 1)
    result = subprocess.run([sys.executable, "-m", "app", "history", "--conversation", str(cid)],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={**os.environ, "SWITCHBOARD_HOME": str(switchboard_home)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "user: Name a grey cat."
    assert lines[1].endswith("(version 1 of 2): Smokey.") and "Ash." not in result.stdout
