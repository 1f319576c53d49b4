"""The requirements reader on pip's full syntax: each case was checked against what pip itself does."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlwarden.core.errors import InputError
from mlwarden.sources import read
from mlwarden.sources.model import Manifest
from mlwarden.sources.project import project_dependencies, project_manifests

H = "a" * 64
H2 = "b" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def write(tmp_path: Path, name: str, text: str, newline: str = "\n") -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.replace("\n", newline).encode())
    return p


def load(tmp_path: Path, text: str, name: str = "requirements.txt", newline: str = "\n") -> Manifest:
    p = write(tmp_path, name, text, newline)
    return read(p, name)


def by_name(m: Manifest) -> dict[str, object]:
    return {d.normalized: d for d in m.dependencies}


def test_continuations_hashes_and_line_numbers(tmp_path: Path) -> None:
    m = load(tmp_path, f"# top\ntorch==2.1.0+cu121 \\\n    --hash=sha256:{H} \\\n    --hash=sha256:{H2}\n"
                       "    # via -r requirements.in\nnumpy==1.26.4\n")
    torch, numpy = m.dependencies
    assert (torch.name, torch.version, torch.line, torch.column) == ("torch", "2.1.0+cu121", 2, 1)
    assert torch.hashes == (f"sha256:{H}", f"sha256:{H2}")
    assert torch.extra["end_line"] == 4
    assert (numpy.line, numpy.version, numpy.hashes) == (6, "1.26.4", ())
    assert m.problems == []


def test_crlf_and_no_final_newline(tmp_path: Path) -> None:
    m = load(tmp_path, "numpy==1.26.4\nscipy>=1.10 ; python_version >= '3.9'", newline="\r\n")
    assert m.newline == "\r\n"
    assert m.meta["final_newline"] is False
    scipy = m.dependencies[1]
    assert (scipy.line, scipy.specifier, scipy.version) == (2, ">=1.10", None)
    assert scipy.marker == 'python_version >= "3.9"'


def test_markers_extras_and_columns(tmp_path: Path) -> None:
    m = load(tmp_path, "  requests[socks,security]==2.31.0; sys_platform == 'linux'  # http client\n"
                       "Flash_Attn==2.5.6 ; platform_machine == 'x86_64'\n")
    req, fa = m.dependencies
    assert req.extras == ("security", "socks")
    assert req.column == 3
    assert req.extra["comment"] == "# http client"
    assert fa.normalized == "flash-attn"
    assert fa.marker == 'platform_machine == "x86_64"'


def test_vcs_url_path_and_editable(tmp_path: Path) -> None:
    m = load(tmp_path, "\n".join([
        "git+https://github.com/huggingface/transformers@main#egg=transformers",
        f"peft @ git+https://github.com/huggingface/peft.git@{COMMIT}",
        "-e git+ssh://git@github.com/org/private.git@v1.2#egg=private",
        "-e .[dev]",
        "./vendor/mypkg",
        "https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl"
        f"#sha256={H}",
        "tiny @ https://example.com/tiny-1.0.tar.gz",
        "svn+svn://svn.example.com/repo@1234#egg=oldlib",
    ]) + "\n")
    d = m.dependencies
    assert (d[0].vcs, d[0].ref, d[0].name, d[0].editable) == ("git", "main", "transformers", False)
    assert (d[1].vcs, d[1].ref, d[1].name) == ("git", COMMIT, "peft")
    assert (d[2].editable, d[2].vcs, d[2].ref, d[2].name) == (True, "git", "v1.2", "private")
    assert (d[3].editable, d[3].local_path, d[3].extras, d[3].name) == (True, ".", ("dev",), "")
    assert (d[4].local_path, d[4].url, d[4].editable) == ("./vendor/mypkg", None, False)
    assert (d[5].name, d[5].version, d[5].hashes, d[5].specifier) == ("torch", "2.1.0+cu121", (f"sha256:{H}",), "")
    assert d[5].url is not None and d[5].url.startswith("https://download.pytorch.org/")
    assert (d[6].name, d[6].version, d[6].url) == ("tiny", "1.0", "https://example.com/tiny-1.0.tar.gz")
    assert (d[7].vcs, d[7].ref) == ("svn", "1234")
    assert m.problems == []


def test_global_options_become_index_settings(tmp_path: Path) -> None:
    m = load(tmp_path, "\n".join([
        "--index-url https://pypi.example.com/simple",
        "--extra-index-url=https://download.pytorch.org/whl/cu121",
        "-f https://data.pyg.org/whl/torch-2.1.0+cu121.html",
        "--trusted-host pypi.example.com",
        "--require-hashes",
        "--no-index",
        "--pre",
        "--only-binary :all:",
        "numpy==1.26.4",
    ]) + "\n")
    kinds = [(i.kind, i.value, i.line) for i in m.indexes]
    assert kinds == [
        ("index-url", "https://pypi.example.com/simple", 1),
        ("extra-index-url", "https://download.pytorch.org/whl/cu121", 2),
        ("find-links", "https://data.pyg.org/whl/torch-2.1.0+cu121.html", 3),
        ("trusted-host", "pypi.example.com", 4),
    ]
    assert m.hashes_required is True
    assert m.meta["no_index"] == 6
    assert (7, "--pre", True) in m.meta["options"]
    assert m.problems == []


@pytest.mark.parametrize(("line", "reason"), [
    ("foo=1.0", "Did you mean == ?"),
    ("!!!bad", "Expected package name"),
    ("numpy==1.0 scipy==2.0", "Invalid requirement"),
    ("--unknown-option", "no such option: --unknown-option"),
    ("pkg==1.0 --install-option=--prefix=/x", "no such option: --install-option"),
    ("pkg==1.0 --hash=md5:d41d8cd98f00b204e9800998ecf8427e", "Unknown hash name: md5"),
    ("pkg==1.0 --hash=sha256:abc", "is not a sha256 digest"),
    ("pkg==1.0 --hash=sha256", "must be a hash name followed by a value"),
    ("git+https://github.com/org/repo@#egg=repo", "empty revision"),
    ("-e https://example.com/pkg.tar.gz", "is not a valid editable requirement"),
    ("pkg==1.0 --index-url https://other/simple", "pip ignores --index-url on a requirement line"),
    (f"--hash=sha256:{H}", "pip ignores --hash on a line without a requirement"),
    ("https://example.com/not-a-wheel-name.whl", "is not a valid wheel filename"),
    ("pkg==1.0 ; python_version >>> '3'", "Invalid requirement"),
    ("pkg==1.0 --global-option='unclosed", "Could not split options"),
    ("git://github.com/openai/CLIP.git", "git:// is not a scheme pip installs from"),
    ("pkg==1.0 -e ./other", "pip ignores -e on a requirement line"),
    ("-i https://pypi.org/simple extra-word", "pip ignores trailing argument(s): extra-word"),
    ("numpy=1.21.2=py39h20f2e39_0", "Did you mean == ?"),
    ("name @ svn+svn://=[https://h/p-1.0-py3-none-any.whl", "Invalid requirement: Invalid IPv6 URL"),
    ("pkg==1.0 \\ ", "does not continue the line"),
])
def test_lines_pip_rejects_or_ignores(tmp_path: Path, line: str, reason: str) -> None:
    m = load(tmp_path, f"ok==1.0\n{line}\n")
    assert len(m.problems) == 1, m.problems
    p = m.problems[0]
    assert reason in p.message
    assert (p.line, p.source) == (2, "requirements.txt")
    assert "\n" not in p.message


def test_config_settings_option_is_accepted(tmp_path: Path) -> None:
    m = load(tmp_path, "pkg==1.0 --config-settings editable_mode=compat\n")
    assert m.problems == []
    assert m.dependencies[0].extra["config_settings"] == ["editable_mode=compat"]


def test_includes_relative_to_including_file(tmp_path: Path) -> None:
    write(tmp_path, "requirements/base.txt", "numpy==1.26.4\n")
    write(tmp_path, "requirements/constraints.txt", "urllib3==2.2.1\n")
    write(tmp_path, "requirements/dev.txt", "-r base.txt\n-c constraints.txt\npytest==8.1.1\n")
    m = read(tmp_path / "requirements/dev.txt", "requirements/dev.txt")
    paths = [(i.path, i.meta["kind"]) for i in m.included]
    assert paths == [("requirements/base.txt", "requirement"), ("requirements/constraints.txt", "constraint")]
    assert m.included[1].dependencies[0].kind == "constraint"
    assert [d.normalized for d in m.all_dependencies()] == ["pytest", "numpy", "urllib3"]


def test_include_cycle_is_reported_not_followed(tmp_path: Path) -> None:
    write(tmp_path, "requirements-a.txt", "-r requirements-b.txt\nnumpy==1.26.4\n")
    write(tmp_path, "requirements-b.txt", "-r requirements-a.txt\nscipy==1.12.0\n")
    m = read(tmp_path / "requirements-a.txt", "requirements-a.txt")
    b = m.included[0]
    assert b.path == "requirements-b.txt"
    assert b.included == []
    assert "include cycle: requirements-a.txt -> requirements-b.txt -> requirements-a.txt" in b.problems[0].message
    self_include = load(tmp_path, "-r requirements-self.txt\n", name="requirements-self.txt")
    assert "include cycle" in self_include.problems[0].message


def test_diamond_include_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "common.txt", "numpy==1.26.4\n")
    write(tmp_path, "requirements-x.txt", "-r common.txt\n")
    write(tmp_path, "requirements-y.txt", "-r common.txt\n")
    m = load(tmp_path, "-r requirements-x.txt\n-r requirements-y.txt\n", name="requirements-all.txt")
    assert [d.normalized for d in m.all_dependencies()] == ["numpy"]
    statuses = [r["status"] for r in m.included[1].meta["includes"]]
    assert statuses == ["already"]


def test_includes_outside_tree_urls_and_missing(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("evil==1.0\n")
    proj = tmp_path / "proj"
    write(proj, "requirements.txt",
          "-r ../outside.txt\n-r https://raw.githubusercontent.com/org/repo/main/requirements.txt\n"
          "-r missing.txt\n-c file:constraints-none.txt\n")
    m = read(proj / "requirements.txt", "requirements.txt")
    statuses = [(r["target"], r["status"]) for r in m.meta["includes"]]
    assert statuses == [("../outside.txt", "outside"),
                        ("https://raw.githubusercontent.com/org/repo/main/requirements.txt", "url"),
                        ("missing.txt", "missing"), ("file:constraints-none.txt", "missing")]
    assert m.included == []
    assert [p.line for p in m.problems] == [3, 4]


def test_utf16_file_from_powershell_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "requirements.txt"
    p.write_bytes("numpy==1.26.4\r\ntorch==2.2.0\r\n".encode("utf-16"))
    m = read(p, "requirements.txt")
    assert [d.version for d in m.dependencies] == ["1.26.4", "2.2.0"]
    p.write_bytes(b"\xef\xbb\xbfnumpy==1.26.4\n")
    assert read(p, "requirements.txt").dependencies[0].name == "numpy"


def test_binary_and_undecodable_files_raise_input_error(tmp_path: Path) -> None:
    p = tmp_path / "requirements.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with pytest.raises(InputError, match=r"requirements\.txt"):
        read(p, "requirements.txt")
    p.write_bytes(b"numpy==1.0\n\xff\xfe\xfa")
    with pytest.raises(InputError, match="not UTF-8"):
        read(p, "requirements.txt")


def test_markers_are_never_evaluated(tmp_path: Path) -> None:
    m = load(tmp_path, "pywin32==306 ; sys_platform == 'win32'\nuvloop==0.19.0 ; sys_platform != 'win32'\n")
    assert [d.name for d in m.dependencies] == ["pywin32", "uvloop"]


def test_env_vars_are_not_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", "secret")
    m = load(tmp_path, "--extra-index-url https://${TOKEN}@pypi.example.com/simple\n")
    assert m.indexes[0].value == "https://${TOKEN}@pypi.example.com/simple"


def test_hostile_inputs_are_bounded(tmp_path: Path) -> None:
    long_line = "a" * 200_000 + "==1.0\n"
    m = load(tmp_path, long_line + "\\\n" * 5000 + "x" * 10 + "\n" + "-r requirements.txt\n" * 50)
    assert m.dependencies[0].version == "1.0"
    assert all("include cycle" in p.message for p in m.problems if "cycle" in p.message)


@pytest.mark.parametrize("line", [
    "pkg==1.0" + " " * 300_000 + "x",  # pip's comment regex is quadratic on blank runs
    "pkg==1.0 " + "--hash=a" * 60_000 + "'",  # unclosed quote after a huge option string
    "pkg==1.0 " + " --pre" * 60_000,  # optparse is quadratic in the argument count
    "x " * 200_000,  # pip's break_args_options popped from the front of a list
], ids=["blank-run", "unclosed-quote", "many-options", "many-args"])
def test_pathological_lines_finish_fast_with_a_problem(tmp_path: Path, line: str) -> None:
    # each took from seconds to minutes with pip's own algorithms; now milliseconds
    m = load(tmp_path, line + "\nok==1.0\n")
    assert len(m.problems) == 1 and m.problems[0].line == 1
    assert len(m.problems[0].raw) <= 1000
    assert [d.name for d in m.dependencies] == ["ok"]


def test_project_helpers_walk_read_and_record_errors(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "-r requirements/base.txt\ntorch==2.2.0\n")
    write(tmp_path, "requirements/base.txt", "numpy==1.26.4\n")
    (tmp_path / "requirements-bad.txt").write_bytes(b"\0\0\0binary")
    write(tmp_path, "src/app.py", "import torch\n")
    manifests = project_manifests([tmp_path], root=tmp_path, use_git=False)
    assert [m.path for m in manifests] == ["requirements-bad.txt", "requirements.txt", "requirements/base.txt"]
    assert manifests[0].meta["unreadable"] is True
    assert "binary" in manifests[0].problems[0].message
    deps = project_dependencies([tmp_path], root=tmp_path, use_git=False)
    assert [d.normalized for d in deps] == ["torch", "numpy"]  # base.txt counted once


_PIECES = ["pkg", "==", "1.0", "-e", " ", "\\", "\n", "\r\n", "#", f"--hash=sha256:{H}", "--hash", "git+https://x/y@",
           "@", "[", "]", ";", "python_version<'3'", "'", '"', "-r", "x.txt", "--index-url", "http://", "file:", "./",
           "..", "%2B", "+cu121", ".whl", ".tar.gz", "===", "~=", "*", ",", "-c", "--config-settings", "=", "\t",
           "é", "\x00", "://", ":", "-", "git://", "svn+svn://", "name @ ", "https://h/p-1.0-py3-none-any.whl#sha256=",
           "#egg=", "[::1]", "https://[", "%", "extra ==", "-f", "--trusted-host", "-i", "--extra-index-url"]


def test_arbitrary_text_never_raises() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from mlwarden.checks.pins.reqrules import check_requirements
    from mlwarden.sources.requirements import parse_text

    @settings(max_examples=400, deadline=None, database=None)
    @given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
    def prop(text: str) -> None:
        m = parse_text(text, "requirements.txt")
        for f in check_requirements(m, {"trusted-indexes": ("https://h",)}, set()):
            assert f.path == "requirements.txt" and (f.line is None or f.line >= 1)
        for d in m.dependencies:
            assert d.line is not None and d.line >= 1

    prop()


def test_problem_columns_point_at_the_offending_option(tmp_path: Path) -> None:
    m = load(tmp_path, "pkg==1.0 --hash=sha256:abc\nok==1 --index-url https://x\n  --nope\n")
    assert [(p.line, p.column) for p in m.problems] == [(1, 17), (2, 7), (3, 3)]


def test_project_manifests_takes_a_check_context(tmp_path: Path) -> None:
    from mlwarden.checks.base import Context
    from mlwarden.core.config import Config

    write(tmp_path, "requirements.txt", "numpy==1.26.4\n")
    write(tmp_path, "vendor/requirements.txt", "evil==1.0\n")
    write(tmp_path, "requirements-weird.txt", "-r requirements.txt\n")
    ctx = Context(paths=[str(tmp_path)], root=tmp_path, config=Config(root=tmp_path), options={},
                  exclude=("vendor",), use_git=False)
    manifests = project_manifests(ctx)
    assert [m.path for m in manifests] == ["requirements-weird.txt", "requirements.txt"]
    assert [d.normalized for d in project_dependencies(ctx)] == ["numpy"]
