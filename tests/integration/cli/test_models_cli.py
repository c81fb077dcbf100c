"""``python -m app models …`` against a loopback hub (HF_ENDPOINT) serving the real
bundled GGUF: search, files, download with progress, list, import, remove."""

from __future__ import annotations

import hashlib

import pytest

from app.__main__ import main
from app.core.paths import models_dir
from tests.support.hub_server import HubRepo, HubServer

REPO = "acme/Smol-GGUF"
FILE = "Smol-Copy.Q4_1.gguf"


@pytest.fixture
def hub(bundled_gguf, monkeypatch):
    repos = [HubRepo(REPO, downloads=900, likes=12, files={FILE: bundled_gguf, "README.md": b"# smol"}),
             HubRepo("acme/Other-GGUF", downloads=5, likes=0, files={"other.Q8_0.gguf": b"x" * 64})]
    with HubServer(repos) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_search_and_files(hub, capsys):
    assert main(["models", "search", "gguf"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [REPO, "acme/Other-GGUF"]  # most downloaded first
    assert main(["models", "files", REPO]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.split()[:2] == [FILE, "Q4_1"] and hub.sha256(REPO, FILE) in line


def test_download_shows_progress_and_the_model_is_listed(hub, bundled_gguf, capsys):
    assert main(["models", "download", REPO, FILE]) == 0
    out, err = capsys.readouterr()
    assert "100.0%" in err and str(models_dir() / FILE) in out
    assert hashlib.sha256((models_dir() / FILE).read_bytes()).hexdigest() == hub.sha256(REPO, FILE)
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Smol-Copy" in listed and "llama" in listed and "chat template" in listed
    assert "ctx   4096/8192" in listed  # what chats use of the model's own 8,192, as in the Library
    assert main(["models", "remove", "Smol-Copy"]) == 0
    assert not (models_dir() / FILE).exists()


def test_a_missing_file_or_repo_is_one_plain_line(hub, capsys):
    assert main(["models", "download", REPO, "nope.gguf"]) == 2
    assert "has no file" in capsys.readouterr().err
    assert main(["models", "files", "acme/Missing"]) == 2
    assert "No repository called acme/Missing" in capsys.readouterr().err


def test_import_refuses_a_file_that_is_not_a_model(tmp_path, capsys):
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"GGUF but not really")
    assert main(["models", "import", str(fake)]) == 2
    assert "cannot be used" in capsys.readouterr().err
