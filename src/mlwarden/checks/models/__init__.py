"""scan-models: find model and data files that run code when loaded, without ever loading them.

Public API (stable; used by generate-sbom):

``sniff(path: Path) -> str | None``
    The format of a file by its bytes, whatever its extension: ``"pickle"``, ``"pytorch-zip"``,
    ``"pytorch-legacy"``, ``"torchscript"``, ``"joblib"``, ``"numpy"``, ``"npz"``, ``"safetensors"``,
    ``"gguf"``, ``"onnx"``, ``"keras"``, ``"hdf5"``, ``"tar"``, ``"zip"``, ``"torchserve-mar"``,
    ``"tensorflow"``, ``"tflite"``, ``"sentencepiece"``, ``"ggml"``, ``"git-lfs-pointer"``, a
    compression name (``"gzip"``, ``"bzip2"``, ``"xz"``, ``"lzma"``, ``"zlib"``, ``"lz4"``), or None when
    the bytes are not a model format. Never raises.

``scan_file(path: Path, display: str, options: ScanOptions | Mapping | None = None)
-> tuple[str | None, list[Finding]]``
    Scan one file: its format (as above, refined after scanning, e.g. ``"keras-h5"``) and the findings
    (``Finding.path`` is ``display``; ``Finding.data`` holds ``member``, ``offset``, ``global``, ``format``).
    ``options`` is a ``ScanOptions`` or a mapping of this check's option names (``allow``,
    ``max-opcodes``, ``max-decompressed-mb``, ``max-depth``). Never raises on file content: unreadable or
    hostile files come back as findings (``unscannable``, ``pickle-malformed``...).

Nothing scanned is ever imported, unpickled, evaluated or executed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwarden.checks.base import Check, Context
from mlwarden.checks.models.rules import RULES
from mlwarden.core.findings import Finding
from mlwarden.core.options import Option

if TYPE_CHECKING:
    from mlwarden.checks.models.scanner import ScanOptions

__all__ = ["ScanModels", "scan_file", "sniff"]

# Names skipped when walking a directory (sources and docs never hold model bytes worth sniffing);
# explicit file arguments are always scanned.
_TEXT_EXTENSIONS = frozenset(
    {
        ".py",
        ".pyi",
        ".md",
        ".rst",
        ".toml",
        ".cfg",
        ".ini",
        ".yaml",
        ".yml",
        ".js",
        ".ts",
        ".tsx",
        ".jsx",
        ".html",
        ".htm",
        ".css",
        ".scss",
        ".ipynb",
        ".lock",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".go",
        ".rs",
        ".java",
        ".kt",
        ".rb",
        ".php",
        ".sh",
        ".bash",
        ".zsh",
        ".ps1",
        ".bat",
        ".sql",
        ".xml",
        ".svg",
        ".csv",
        ".tsv",
        ".cff",
        ".in",
        ".typed",
        ".gitignore",
        ".gitattributes",
        ".editorconfig",
        ".env",
        ".jinja",
        ".j2",
        ".tex",
        ".r",
        ".swift",
        ".scala",
        ".lua",
        ".pl",
        ".dockerfile",
        ".mk",
        ".cmake",
        ".license",
    }
)
_TEXT_NAMES = frozenset(
    {
        "license",
        "readme",
        "makefile",
        "dockerfile",
        "notice",
        "authors",
        "changelog",
        "codeowners",
        "manifest.in",
        "setup.py",
        "requirements.txt",
    }
)


def _options(options: Any) -> ScanOptions:
    from mlwarden.checks.models.scanner import MiB, ScanOptions

    if options is None:
        return ScanOptions()
    if isinstance(options, ScanOptions):
        return options
    o: Mapping[str, Any] = options
    base = ScanOptions()
    return ScanOptions(
        allow=tuple(o.get("allow") or ()),
        max_opcodes=int(o.get("max-opcodes") or base.max_opcodes),
        max_decompressed=int(o.get("max-decompressed-mb") or base.max_decompressed // MiB) * MiB,
        max_depth=int(o.get("max-depth") or base.max_depth),
    )


def sniff(path: Path) -> str | None:
    """The model format of ``path`` by its bytes (None: not a model file)."""
    from mlwarden.checks.models.scanner import Scanner

    return Scanner().sniff_file(Path(path))


def scan_file(path: Path, display: str, options: Any = None) -> tuple[str | None, list[Finding]]:
    """Scan one file; see the module docstring."""
    from mlwarden.checks.models.scanner import Scanner

    return Scanner(_options(options)).scan_file(Path(path), display)


def _walk_match(rel: str) -> bool:
    base = rel.rsplit("/", 1)[-1].lower()
    if base in _TEXT_NAMES:
        return False
    ext = os.path.splitext(base)[1]
    return ext not in _TEXT_EXTENSIONS


def _scan_many(jobs: list[tuple[str, str]], opts: ScanOptions) -> list[tuple[str | None, list[Finding]]]:
    from mlwarden.checks.models.scanner import Scanner

    scanner = Scanner(opts)
    return [scanner.scan_file(Path(p), d) for p, d in jobs]


class ScanModels(Check):
    name = "scan-models"
    description = (
        "Find model and data files (pickle, PyTorch, joblib, NumPy, Keras, GGUF, ONNX, safetensors...) "
        "that run code when loaded, without loading them."
    )
    rules = RULES
    options = (
        Option(
            "allow",
            "list",
            (),
            "extra globals to treat as safe, as module:qualname (or module.qualname)",
            metavar="GLOBAL",
        ),
        Option(
            "max-opcodes", "int", 50_000_000, "stop walking a pickle after this many opcodes", metavar="N"
        ),
        Option(
            "max-decompressed-mb",
            "int",
            1024,
            "largest decompressed stream or archive member scanned, in MiB (zip bombs)",
            metavar="MIB",
        ),
        Option(
            "max-depth", "int", 4, "deepest nesting of archives and compressed layers followed", metavar="N"
        ),
        Option(
            "jobs", "int", 0, "parallel worker processes for large scans (0: automatic, 1: none)", metavar="N"
        ),
    )

    def matcher(self) -> Any:
        return _walk_match

    def run(self, ctx: Context) -> Iterable[Finding]:
        opts = _options(ctx.options)
        files = [(str(p), ctx.display(p)) for p in ctx.files(self.matcher())]
        jobs = int(ctx.opt("jobs") or 0)
        results = self._scan(files, opts, jobs)
        formats: dict[str, str] = {}
        out: list[Finding] = []
        for (_, disp), (fmt, findings) in zip(files, results, strict=False):
            if fmt:
                formats[disp] = fmt
            out.extend(findings)
        if any(f.rule.id == "MLW516" for f in out):
            # objects of packages the project declares or locks are what it already runs: info
            from mlwarden.checks.models import trust

            out = trust.apply(out, trust.project_imports(ctx))
        ctx.meta["scan-models"] = {"scanned": len(formats), "formats": dict(sorted(formats.items()))}
        return out

    @staticmethod
    def _scan(
        files: list[tuple[str, str]], opts: ScanOptions, jobs: int
    ) -> list[tuple[str | None, list[Finding]]]:
        workers = jobs if jobs > 0 else (os.cpu_count() or 1)
        big = 0
        for p, _ in files:
            try:
                big += os.path.getsize(p)
            except OSError:
                pass
        # processes pay off only when there is real parsing work to share out
        # (measured: 200 small files take ~0.1 s in one process, and big checkpoints are mostly skipped
        # bytes, so forking only pays for many large pickles)
        if workers <= 1 or len(files) < 2 or (jobs == 0 and (big < 256 * 1024 * 1024 or len(files) < 8)):
            return _scan_many(files, opts)
        import concurrent.futures
        import multiprocessing

        n = min(workers, len(files))
        chunks = [files[i::n] for i in range(n)]
        try:
            ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
            with concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
                parts = list(pool.map(_scan_many, chunks, [opts] * n))
        except (OSError, RuntimeError, concurrent.futures.process.BrokenProcessPool):
            return _scan_many(files, opts)
        results: list[tuple[str | None, list[Finding]]] = [(None, [])] * len(files)
        for i in range(n):
            for j, r in enumerate(parts[i]):
                results[i + j * n] = r
        return results
