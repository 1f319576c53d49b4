"""--fix-hashes against a real index on 127.0.0.1 serving real wheels and sdists built by the test, in
PEP 691 JSON and PEP 503 HTML. Never touches the internet: pip's config is disabled for every test."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlwarden_hooks.check_pins import main

from mlwarden.checks.pins.fixhashes import pip_configured_indexes
from tests.support.index_server import JSON_TYPE, IndexServer

COMMIT = "3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"


@pytest.fixture(autouse=True)
def _no_pip_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def pypi() -> Iterator[IndexServer]:
    with IndexServer() as index:
        index.add_wheel("numpy", "1.26.4", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
        index.add_wheel("numpy", "1.26.4", "cp312-cp312-macosx_11_0_arm64")
        index.add_sdist("numpy", "1.26.4")
        index.add_wheel("numpy", "1.26.3", "cp311-cp311-manylinux_2_17_x86_64")
        index.add_wheel("torch", "2.1.0", "cp311-cp311-manylinux1_x86_64")
        index.add_wheel("safetensors", "0.4.2", "cp311-cp311-manylinux_2_17_x86_64")
        index.add_sdist("safetensors", "0.4.2")
        index.add_wheel("typing_extensions", "4.10.0")
        yield index


@pytest.fixture()
def pytorch() -> Iterator[IndexServer]:
    """Like download.pytorch.org/whl/cu121: HTML only, local versions."""
    with IndexServer(json=False) as index:
        index.add_wheel("torch", "2.1.0+cu121", "cp311-cp311-linux_x86_64")
        index.add_wheel("torch", "2.1.0+cu118", "cp311-cp311-linux_x86_64")
        index.add_wheel("numpy", "1.26.4", "cp311-cp311-linux_x86_64")  # must never be merged in
        yield index


def hashes_of(index: IndexServer, name: str, version: str) -> list[str]:
    from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
    from packaging.version import Version

    out = []
    for d in index.files(name):
        n, v = (parse_wheel_filename(d.filename)[:2] if d.filename.endswith(".whl")
                else parse_sdist_filename(d.filename))
        if canonicalize_name(n) == canonicalize_name(name) and v == Version(version):
            out.append(d.sha256)
    assert out
    return sorted(out)


def block(req: str, hashes: list[str], nl: str = "\n", comment: str = "") -> str:
    lines = [f"{req} \\"] + [f"    --hash=sha256:{x} \\" for x in hashes[:-1]] + [f"    --hash=sha256:{hashes[-1]}"]
    if comment:
        lines[-1] += f"  {comment}"
    return nl.join(lines)


def test_json_api_fills_every_wheel_and_sdist_of_the_version(pypi: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    Path("requirements.txt").write_text("numpy==1.26.4\n")
    rc = main(["requirements.txt", "--fix-hashes", "--index-url", pypi.url])
    out = capsys.readouterr()
    assert rc == 1  # rewritten, like a formatter
    expected = block("numpy==1.26.4", hashes_of(pypi, "numpy", "1.26.4")) + "\n"
    assert Path("requirements.txt").read_text() == expected
    assert len(hashes_of(pypi, "numpy", "1.26.4")) == 3
    assert out.out == ""  # nothing left to report
    assert "added hashes to 1 requirement" in out.err
    assert pypi.requests[0][0] == "/simple/numpy/" and JSON_TYPE in pypi.requests[0][1]
    # a second run finds nothing to do, asks nothing, and exits 0
    pypi.requests.clear()
    assert main(["requirements.txt", "--fix-hashes", "--index-url", pypi.url]) == 0
    assert pypi.requests == []
    assert Path("requirements.txt").read_text() == expected


@pytest.mark.parametrize("html_hashes", [True, False])
def test_html_fallback_with_and_without_hash_fragments(html_hashes: bool) -> None:
    with IndexServer(json=False, html_hashes=html_hashes) as index:
        index.add_wheel("safetensors", "0.4.2", "cp311-cp311-manylinux_2_17_x86_64")
        index.add_sdist("safetensors", "0.4.2")
        Path("requirements.txt").write_text("safetensors==0.4.2\n")
        assert main(["requirements.txt", "--fix-hashes", "--index-url", index.url]) == 1
        assert Path("requirements.txt").read_text() == \
            block("safetensors==0.4.2", hashes_of(index, "safetensors", "0.4.2")) + "\n"
        downloaded = [p for p, _ in index.requests if p.startswith("/files/")]
        assert len(downloaded) == (0 if html_hashes else 2)


def test_json_without_hashes_downloads_and_hashes_the_files() -> None:
    with IndexServer(json_hashes=False) as index:
        index.add_wheel("tiny-pkg", "1.0")
        Path("requirements.txt").write_text("Tiny_Pkg==1.0\n")
        assert main(["requirements.txt", "--fix-hashes", "--index-url", index.url]) == 1
        assert Path("requirements.txt").read_text() == block("Tiny_Pkg==1.0", hashes_of(index, "tiny-pkg", "1.0")) + "\n"
        assert index.requests[0][0] == "/simple/tiny-pkg/"


def test_torch_local_version_comes_from_the_extra_index_and_nothing_is_merged(
        pypi: IndexServer, pytorch: IndexServer) -> None:
    Path("requirements.txt").write_text(
        f"--extra-index-url {pytorch.url}\nnumpy==1.26.4\ntorch==2.1.0+cu121\n")
    assert main(["requirements.txt", "--fix-hashes", "--index-url", pypi.url,
                 "--trusted-indexes", pytorch.url]) == 1
    text = Path("requirements.txt").read_text()
    assert text == "\n".join([
        f"--extra-index-url {pytorch.url}",
        block("numpy==1.26.4", hashes_of(pypi, "numpy", "1.26.4")),
        block("torch==2.1.0+cu121", hashes_of(pytorch, "torch", "2.1.0+cu121")),
    ]) + "\n"
    # numpy came from the first index only; +cu118 and the plain 2.1.0 wheel never matched +cu121
    assert hashes_of(pytorch, "numpy", "1.26.4")[0] not in text
    assert hashes_of(pypi, "torch", "2.1.0")[0] not in text
    assert hashes_of(pytorch, "torch", "2.1.0+cu118")[0] not in text


def test_plain_version_does_not_take_local_version_files(pytorch: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    Path("requirements.txt").write_text("torch==2.1.0\n")
    rc = main(["requirements.txt", "--fix-hashes", "--index-url", pytorch.url])
    assert Path("requirements.txt").read_text() == "torch==2.1.0\n"
    assert "no files for torch==2.1.0" in capsys.readouterr().err
    assert rc == 1  # still missing its hash (low) and nothing rewritten


def test_layout_keeps_crlf_comments_markers_extras_options_and_via_blocks(pypi: IndexServer) -> None:
    original = "\r\n".join([
        "# pinned by hand",
        "--extra-index-url https://download.pytorch.org/whl/cu121",
        "numpy==1.26.4 ; python_version >= '3.9'  # core array lib",
        "    # via",
        "    #   torch",
        "safetensors[numpy] == 0.4.2 --global-option=--quiet",
        "scipy>=1.12",
        f"git+https://github.com/huggingface/transformers@{COMMIT}#egg=transformers",
        "https://example.com/wheels/tiny-1.0-py3-none-any.whl",
        "typing_extensions==4.10.0",
    ])  # no final newline
    Path("requirements.txt").write_bytes(original.encode())
    rc = main(["requirements.txt", "--fix-hashes", "--index-url", pypi.url,
               "--trusted-indexes", "https://download.pytorch.org/whl/cu121"])
    assert rc == 1
    got = Path("requirements.txt").read_bytes().decode()
    expected = "\r\n".join([
        "# pinned by hand",
        "--extra-index-url https://download.pytorch.org/whl/cu121",
        block("numpy==1.26.4 ; python_version >= '3.9'", hashes_of(pypi, "numpy", "1.26.4"), "\r\n",
              "# core array lib"),
        "    # via",
        "    #   torch",
        block("safetensors[numpy] == 0.4.2 --global-option=--quiet", hashes_of(pypi, "safetensors", "0.4.2"),
              "\r\n"),
        "scipy>=1.12",
        f"git+https://github.com/huggingface/transformers@{COMMIT}#egg=transformers",
        "https://example.com/wheels/tiny-1.0-py3-none-any.whl",
        block("typing_extensions==4.10.0", hashes_of(pypi, "typing-extensions", "4.10.0"), "\r\n"),
    ])
    assert got == expected
    # the extra index (not served here) was asked for nothing: the first index served every pin
    assert {p for p, _ in pypi.requests} == {"/simple/numpy/", "/simple/safetensors/", "/simple/typing-extensions/"}


def test_refuses_lines_it_cannot_hash(pypi: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    original = ("torch>=2.1\ngit+https://github.com/huggingface/transformers@main#egg=transformers\n"
                "https://example.com/tiny-1.0.tar.gz\n-e .\n")
    Path("requirements.txt").write_text(original)
    rc = main(["requirements.txt", "--fix-hashes", "--index-url", pypi.url, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert Path("requirements.txt").read_text() == original
    assert pypi.requests == []
    notes = "\n".join(report["notes"])
    assert "requirements.txt:1: cannot add hashes to 'torch>=2.1': not pinned with '=='" in notes
    assert "requirements.txt:2: cannot add hashes to 'git+https://github.com/huggingface/" in notes
    assert "VCS requirements cannot be hashed" in notes
    assert "URL requirements are not hashed" in notes
    assert "requirements.txt:4: cannot add hashes to '-e .': editable requirements cannot be hashed" in notes
    assert {f["slug"] for f in report["findings"]} >= {"unpinned", "vcs-unpinned", "url-no-hash"}


@pytest.mark.parametrize("failure", ["http-500", "refused", "truncated"])
def test_network_failure_is_exit_2_and_leaves_files_untouched(failure: str, capsys: pytest.CaptureFixture[str]) -> None:
    with IndexServer(fail=failure != "truncated", truncate=failure == "truncated") as index:
        index.add_wheel("numpy", "1.26.4")
        url = index.url
        Path("requirements.txt").write_text("numpy==1.26.4\n")
        Path("requirements-dev.txt").write_text("pytest==8.1.1\n")
        if failure == "refused":
            index.stop()
        rc = main([".", "--fix-hashes", "--index-url", url])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("mlwarden: error: --fix-hashes:")
    assert "Traceback" not in err
    assert Path("requirements.txt").read_text() == "numpy==1.26.4\n"
    assert Path("requirements-dev.txt").read_text() == "pytest==8.1.1\n"


def test_no_network_without_the_flag(pypi: IndexServer) -> None:
    Path("requirements.txt").write_text(f"--index-url {pypi.url}\nnumpy==1.26.4\n")
    assert main(["requirements.txt"]) == 1
    assert pypi.requests == []


def test_default_index_is_pips_configured_one(pypi: IndexServer, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {pypi.url}\n")
    assert pip_configured_indexes({}, [conf]) == (pypi.url, [])
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    Path("requirements.txt").write_text("numpy==1.26.4\n")
    assert main(["requirements.txt", "--fix-hashes"]) == 1
    assert "--hash=sha256:" in Path("requirements.txt").read_text()
    # the environment variable wins over the file
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    assert pip_configured_indexes(dict(os.environ), [conf])[0] == "http://127.0.0.1:9/simple"


def test_files_own_index_url_and_included_files(pypi: IndexServer) -> None:
    Path("requirements").mkdir()
    Path("requirements/base.txt").write_text("numpy==1.26.4\n")
    Path("requirements/dev.txt").write_text(f"--index-url {pypi.url}\n-r base.txt\ntorch==2.1.0\n")
    assert main(["requirements/dev.txt", "--fix-hashes", "--index-url", pypi.url]) == 1
    assert Path("requirements/base.txt").read_text() == block("numpy==1.26.4", hashes_of(pypi, "numpy", "1.26.4")) + "\n"
    assert Path("requirements/dev.txt").read_text().endswith(
        block("torch==2.1.0", hashes_of(pypi, "torch", "2.1.0")) + "\n")
    # without --index-url the file's own --index-url line is used
    Path("requirements/other.txt").write_text(f"--index-url {pypi.url}\nsafetensors==0.4.2\n")
    assert main(["requirements/other.txt", "--fix-hashes"]) == 1
    assert "--hash=sha256:" in Path("requirements/other.txt").read_text()


def test_pip_compile_inputs_are_not_rewritten(pypi: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    Path("requirements.in").write_text("numpy==1.26.4\n")
    rc = main(["requirements.in", "--fix-hashes", "--index-url", pypi.url])
    assert Path("requirements.in").read_text() == "numpy==1.26.4\n"
    assert pypi.requests == []
    assert "hashes belong in the compiled file" in capsys.readouterr().err
    assert rc == 0


def test_utf8_bom_is_kept_and_included_constraints_are_hashed_too(pypi: IndexServer) -> None:
    Path("constraints.txt").write_bytes(b"\xef\xbb\xbfsafetensors==0.4.2\r\n")
    Path("requirements.txt").write_text("-c constraints.txt\nnumpy==1.26.4\n")
    assert main(["requirements.txt", "--fix-hashes", "--index-url", pypi.url]) == 1
    data = Path("constraints.txt").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfsafetensors==0.4.2 \\\r\n    --hash=sha256:")
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert main(["requirements.txt"]) == 0  # everything pinned and hashed now
