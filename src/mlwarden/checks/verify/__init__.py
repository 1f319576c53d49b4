"""verify-artifacts: the models and datasets a team reviewed are the ones it trains and ships.

Checks the work tree against ``mlwarden.lock`` (written by ``mlwarden lock``) and against every other record
of what the bytes must be: OpenSSF model-signing bundles, Git LFS pointers in the git index, DVC records,
Hugging Face cache blob names; and, when the project keeps a lock, Hub references and downloads in code.
Rules MLW901-MLW917 (``rules.py``, ``docs/verify-artifacts.md``).

Every file is read once (one worker thread per file) whatever number of records name it. Given explicit
files (a pre-commit run) it checks only what those paths touch; given folders (CI, ``mlwarden scan``)
everything below them. It never reports clean when it could not check: an unreadable lock, a bundle it
cannot verify or a DVC output that is not there are findings, never silence.

Public API (used by ``mlwarden lock`` and generate-sbom): ``lockfile`` (the data model), ``digest``
(parallel hashing), ``verified_lock(root) -> Lock | None``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mlwarden.checks.base import Check, Context
from mlwarden.checks.verify import rules as R
from mlwarden.core.files import Matcher, inside
from mlwarden.core.findings import Finding, Severity
from mlwarden.core.options import Option

if TYPE_CHECKING:
    from mlwarden.checks.verify.lockfile import Lock

__all__ = ["VerifyArtifacts"]

OPTIONS: tuple[Option, ...] = (
    Option("lock", "str", "mlwarden.lock", "the lock file (relative to the project root)", metavar="FILE",
           writes=True),
    Option("trusted-keys", "list", (), "PEM public keys model signatures must verify with (config, "
           "or comma-separated in MLWARDEN_TRUSTED_KEYS)", metavar="FILE", cli=False),
    Option("trusted-key", "list", (), "a PEM public key model signatures must verify with (adds to "
           "trusted-keys)", metavar="FILE", config=False),
    Option("trusted-cas", "list", (), "PEM CA certificates `certificate` model signatures must chain to "
           "(config, or comma-separated in MLWARDEN_TRUSTED_CAS)", metavar="FILE", cli=False),
    Option("trusted-ca", "list", (), "a PEM CA certificate `certificate` model signatures must chain to "
           "(adds to trusted-cas)", metavar="FILE", config=False),
    Option("hf-cache", "list", (), "also check a Hugging Face cache folder (blobs must hash to their names)",
           metavar="DIR"),
    Option("jobs", "int", 0, "hashing threads (0: automatic)", metavar="N"),
)


def _code_file(rel: str) -> bool:
    return rel.lower().endswith((".py", ".ipynb"))


def _dvc_record(rel: str) -> bool:
    base = rel.rsplit("/", 1)[-1]
    return base.endswith(".dvc") or base == "dvc.lock"


@dataclass
class _Run:
    ctx: Context
    root: Path
    findings: list[Finding] = field(default_factory=list)
    jobs: set[Path] = field(default_factory=set)
    md5_jobs: set[Path] = field(default_factory=set)
    after: list[Callable[[dict[Path, Any]], None]] = field(default_factory=list)
    reported: set[tuple[str, str]] = field(default_factory=set)

    def add(self, rule: Any, path: str, message: str, *, severity: Severity | None = None, hint: str = "",
            line: int | None = None, **data: Any) -> None:
        key = (rule.id, path + "\0" + message)
        if key in self.reported:
            return
        self.reported.add(key)
        self.findings.append(Finding(rule, path, message, severity=severity, line=line, hint=hint,
                                     data=data))

    def rel(self, p: Path) -> str:
        return self.ctx.display(p)

    def want(self, p: Path, md5: bool = False) -> None:
        self.jobs.add(p)
        if md5:
            self.md5_jobs.add(p)


class VerifyArtifacts(Check):
    name: ClassVar[str] = "verify-artifacts"
    description: ClassVar[str] = (
        "Verify model and data artifacts against mlwarden.lock, model-signing signatures, Git LFS pointers, "
        "DVC records and Hugging Face cache names; flag Hub references and downloads the lock does not pin.")
    rules = R.RULES
    options: ClassVar[tuple[Option, ...]] = OPTIONS

    def matcher(self) -> Matcher | None:
        return None

    def run(self, ctx: Context) -> Iterable[Finding]:
        from mlwarden.checks.verify import lockfile
        from mlwarden.checks.verify.digest import hash_many

        run = _Run(ctx, ctx.root)
        explicit = [Path(p) for p in ctx.paths if not Path(p).is_dir()]
        folders = [Path(p) for p in ctx.paths if Path(p).is_dir()]
        staged = {run.rel(p) for p in explicit}
        lock_rel = str(ctx.opt("lock") or lockfile.LOCK_NAME)
        lock_path = ctx.root / lock_rel
        lock: lockfile.Lock | None = None
        if lock_path.is_file() or lock_path.is_symlink():
            try:
                if lock_path.is_symlink():
                    raise lockfile.LockError("is a symbolic link", path=lock_rel)
                lock = lockfile.read(lock_path, lock_rel)
            except lockfile.LockError as exc:
                run.add(R.LOCK_UNREADABLE, lock_rel, str(exc), hint="run `mlwarden lock` and review the diff")
        elif lock_rel != lockfile.LOCK_NAME:
            run.add(R.LOCK_UNREADABLE, lock_rel, "the configured lock file does not exist",
                    hint="run `mlwarden lock` or fix the `lock` option")

        scope = [run.rel(f) for f in folders]

        def in_scope(rel: str) -> bool:
            if explicit and not folders:
                return False
            return any(s in ("", ".") or rel == s or rel.startswith(s + "/") for s in scope)

        touched_all = lock_rel in staged
        checked_artifacts = []
        if lock is not None:
            for a in lock.artifacts:
                hit = in_scope(a.path) or touched_all or any(
                    s == a.path or s.startswith(a.path + "/") or (a.signature and s == a.signature)
                    for s in staged)
                if hit:
                    checked_artifacts.append(a)
        pointers = self._lfs(run, lock, explicit, folders, in_scope)
        self._links(run, lock, explicit, folders, in_scope)
        for a in checked_artifacts:
            self._artifact(run, a, pointers)
        self._signatures(run, lock, checked_artifacts, folders, explicit, in_scope)
        self._dvc(run, lock, explicit, folders)
        if lock is not None:
            self._unlocked(run, lock, explicit, folders, pointers)
        self._code(run, lock, explicit, folders)
        for cache in ctx.opt("hf-cache") or ():
            self._hf_cache(run, Path(cache), lock)
        jobs = int(ctx.opt("jobs") or 0)
        ctx.progress(f"hashing {len(run.jobs)} files")
        digests = hash_many(run.jobs, frozenset(run.md5_jobs), jobs=jobs)
        for fn in run.after:
            fn(digests)
        ctx.meta["verify-artifacts"] = {
            "lock": lock_rel if lock is not None else None,
            "artifacts": len(checked_artifacts),
            "hashed": len(digests),
            "bytes": sum(getattr(d, "size", 0) for d in digests.values()),
        }
        if lock is None and lock_rel == lockfile.LOCK_NAME and not lock_path.exists() and folders:
            ctx.note("no mlwarden.lock: only signatures, LFS, DVC and caches were checked "
                     "(run `mlwarden lock`)")
        return run.findings

    # -- the lock ------------------------------------------------------------------------------------
    @staticmethod
    def _artifact(run: _Run, a: Any, pointers: dict[str, Any]) -> None:
        from mlwarden.checks.verify.discover import list_folder
        from mlwarden.checks.verify.lfs import read_pointer_file

        root = run.root
        target = root / a.path
        hint = "find out where the new bytes come from, scan them, then `mlwarden lock` and review"
        if (target.exists() or target.is_symlink()) and not inside(target.parent, root):
            run.add(R.SYMLINK, a.path, "a folder on the way to this locked artifact is a symbolic link "
                    "out of the repository: not followed", hint="replace the link by the reviewed files")
            return
        if target.is_symlink():
            run.add(R.SYMLINK, a.path, f"locked {a.kind} is now a symbolic link to {os.readlink(target)!r}",
                    hint="replace the link by the reviewed file(s)")
            return
        if not target.exists():
            run.add(R.MISSING, a.path, f"locked {a.kind} is missing",
                    hint="restore it or run `mlwarden lock`")
            return
        if a.kind == "file":
            if not target.is_file():
                run.add(R.CHANGED, a.path, "locked file is now a folder", hint=hint)
                return
            entry = a.files[0]
            _compare(run, a, entry, target, pointers, read_pointer_file, hint)
            return
        if not target.is_dir():
            run.add(R.CHANGED, a.path, "locked folder is now a file", hint=hint)
            return
        expected = a.file_map()
        sig = root / a.signature if a.signature else None
        seen = set()
        for item in list_folder(target, sig):
            repo_rel = f"{a.path}/{item.rel}"
            if item.symlink:
                where = os.readlink(item.path)
                out = "" if inside(item.path, root) else ", outside the repository"
                run.add(R.SYMLINK, repo_rel, f"symbolic link to {where!r}{out} inside locked folder {a.path}",
                        hint="replace the link by the reviewed file")
                seen.add(item.rel)
                continue
            entry = expected.get(item.rel)
            if entry is None:
                run.add(R.ADDED, repo_rel, f"file added to locked folder {a.path} (loaders read every "
                        "file of a model folder)", hint="remove it, or review it and run `mlwarden lock`",
                        artifact=a.path)
                continue
            seen.add(item.rel)
            _compare(run, a, entry, item.path, pointers, read_pointer_file, hint)
        for name in sorted(set(expected) - seen):
            run.add(R.MISSING, f"{a.path}/{name}", f"file of locked folder {a.path} is missing",
                    hint="restore it or run `mlwarden lock`", artifact=a.path)

    # -- links out of the tree --------------------------------------------------------------------------
    @staticmethod
    def _links(run: _Run, lock: Any, explicit: list[Path], folders: list[Path],
               in_scope: Callable[[str], bool]) -> None:
        """A model/data file name that is a link leaving the repository: what gets loaded is whatever the
        link points to on the machine that runs it (locked paths are reported by the lock check)."""
        from mlwarden.checks.verify.lfs import index_links

        rels = [run.rel(p) for p in explicit if p.is_symlink()]
        if folders:
            rels.extend(r for r in (index_links(run.root) or []) if in_scope(r))
        if not rels:
            return
        for rel in sorted(set(rels)):
            p = run.root / rel
            if not p.is_symlink() or inside(p, run.root):
                continue
            if lock is not None and lock.owner(rel) is not None:
                continue
            if not _artifact_name(rel):
                continue
            run.add(R.SYMLINK, rel, f"is a symbolic link out of the repository ({os.readlink(p)!r})",
                    hint="commit the reviewed file itself (or track it with LFS/DVC) instead of a link")

    # -- Git LFS -------------------------------------------------------------------------------------
    @staticmethod
    def _lfs(run: _Run, lock: Any, explicit: list[Path], folders: list[Path],
             in_scope: Callable[[str], bool]) -> dict[str, Any]:
        from mlwarden.checks.verify.discover import model_walk_match
        from mlwarden.checks.verify.lfs import index_pointers, read_pointer_file

        # staged sources and docs are never LFS objects worth a git call (pre-commit latency)
        specs = [rel for rel in (run.rel(p) for p in explicit) if model_walk_match(rel)]
        found: dict[str, Any] = {}
        if folders:
            found.update({k: v for k, v in (index_pointers(run.root) or {}).items() if in_scope(k)})
        if specs:
            found.update(index_pointers(run.root, specs) or {})
        for rel, ptr in sorted(found.items()):
            p = run.root / rel
            if p.is_symlink() or not p.is_file():
                continue  # missing files are the lock's business (git reports deletions itself)
            work = read_pointer_file(p)
            if work is not None:
                # high for what code loads (model/data names, locked artifacts); an unpulled image or PDF
                # of the docs is worth knowing, not worth failing a build over
                sev = None if _artifact_name(rel) or (lock is not None and lock.owner(rel)) else Severity.LOW
                run.add(R.LFS_NOT_PULLED, rel, f"holds the Git LFS pointer (object sha256:{ptr.oid[:12]}…, "
                        f"{ptr.size} bytes), not the data: it was never pulled", severity=sev,
                        hint="run `git lfs pull` (CI: checkout with lfs: true) before using or verifying it")
                continue
            try:
                size = p.stat().st_size
            except OSError:
                continue
            if size != ptr.size:
                run.add(R.LFS_MISMATCH, rel, f"is {size} bytes but its committed LFS pointer says {ptr.size}",
                        hint="`git lfs pull` the committed object, or commit the new file through LFS")
                continue
            run.want(p)

            def check(d: dict[Path, Any], p: Path = p, rel: str = rel, ptr: Any = ptr) -> None:
                got = d.get(p)
                if got is not None and hasattr(got, "sha256") and got.sha256 != ptr.oid:
                    run.add(R.LFS_MISMATCH, rel, f"content sha256:{got.sha256[:12]}… is not the object its "
                            f"committed LFS pointer names (sha256:{ptr.oid[:12]}…)",
                            hint="`git lfs pull` the committed object, or commit the new file through LFS",
                            expected=ptr.oid, actual=got.sha256)
            run.after.append(check)
        return found

    # -- DVC ----------------------------------------------------------------------------------------
    @staticmethod
    def _dvc(run: _Run, lock: Any, explicit: list[Path], folders: list[Path]) -> None:
        from mlwarden.checks.verify.dvc import DvcError, read_record

        records: list[Path] = [p for p in explicit if _dvc_record(p.name)]
        if folders:
            records.extend(run.ctx.files(_dvc_record))
        for rec in sorted(set(records)):
            display = run.rel(rec)
            try:
                outs = read_record(rec, display, run.root)
            except DvcError as exc:
                run.add(R.DVC_MISMATCH, display, f"cannot read the DVC record: {exc}",
                        severity=Severity.MEDIUM, hint="fix the file; nothing it records was verified")
                continue
            for out in outs:
                _dvc_out(run, out)

    # -- signatures ----------------------------------------------------------------------------------
    @staticmethod
    def _signatures(run: _Run, lock: Any, artifacts: list[Any], folders: list[Path], explicit: list[Path],
                    in_scope: Callable[[str], bool]) -> None:
        pairs: dict[str, tuple[str, Any]] = {}  # bundle rel -> (target rel, artifact or None)
        for a in artifacts:
            sig = a.signature or (a.path + ".sig" if (run.root / (a.path + ".sig")).is_file() else None)
            if sig:
                pairs[sig] = (a.path, a)
        bundles: list[Path] = [p for p in explicit if p.name.endswith(".sig")]
        if folders:
            bundles.extend(run.ctx.files(lambda rel: rel.endswith(".sig")))
        owners = lock.by_path() if lock is not None else {}
        for b in bundles:
            rel = run.rel(b)
            target = rel[:-4]
            if rel in pairs or not target or not (run.root / target).exists():
                continue
            pairs[rel] = (target, owners.get(target))
        if not pairs:
            return
        keys = _trusted_keys(run)
        for sig_rel, (target, art) in sorted(pairs.items()):
            _verify_signature(run, sig_rel, target, art, keys)

    # -- files no lock entry covers ----------------------------------------------------------------
    @staticmethod
    def _unlocked(run: _Run, lock: Any, explicit: list[Path], folders: list[Path],
                  pointers: dict[str, Any]) -> None:
        from mlwarden.checks.verify.discover import model_walk_match, sniff_format

        # sources and docs never hold model bytes (scan-models' own filter): not even sniffed
        cands: list[Path] = [p for p in explicit if model_walk_match(run.rel(p))]
        if folders:
            cands.extend(run.ctx.files(model_walk_match))
        for p in sorted(set(cands)):
            rel = run.rel(p)
            if rel == (run.ctx.opt("lock") or "mlwarden.lock") or lock.owner(rel) is not None:
                continue
            if p.is_symlink():
                continue
            fmt = sniff_format(p, rel)
            if fmt is None:
                continue
            if fmt == "git-lfs-pointer":
                if rel not in pointers:
                    run.add(R.LFS_NOT_PULLED, rel,
                            "holds a Git LFS pointer, not the data: it was never pulled",
                            hint="run `git lfs pull` before using or verifying it")
                continue
            run.add(R.ADDED, rel, f"{fmt} file with no entry in mlwarden.lock", severity=Severity.MEDIUM,
                    hint="review it (scan-models) and run `mlwarden lock`", format=fmt)

    # -- code ---------------------------------------------------------------------------------------
    @staticmethod
    def _code(run: _Run, lock: Any, explicit: list[Path], folders: list[Path]) -> None:
        from mlwarden.checks.unsafe_loads import hub_references
        from mlwarden.checks.verify.code import downloads

        files = [p for p in explicit if _code_file(p.name)]
        if folders:
            files.extend(run.ctx.files(_code_file))
        hub = lock.hub_refs() if lock is not None else {}
        urls = lock.url_refs() if lock is not None else {}
        for f in sorted(set(files)):
            display = run.rel(f)
            try:
                # Hub references only against a lock: without one check-unsafe-loads reports them
                refs = hub_references(f, display) if lock is not None else []
            except (OSError, ValueError, RecursionError):
                refs = []
            for r in refs:
                locked = hub.get(f"{r.kind}:{r.repo_id}")
                rev = r.revision or "the default branch"
                if locked is not None and locked.revision:
                    if r.revision != locked.revision:
                        run.add(R.HUB_UNPINNED, display,
                                f"{r.kind} {r.repo_id} is loaded at {rev}, not at the commit mlwarden.lock "
                                f"records ({locked.revision[:12]}…)",
                                severity=Severity.HIGH, line=r.line,
                                hint=f"pass revision=\"{locked.revision}\" (or lock the new commit)")
                elif not r.pinned:
                    run.add(R.HUB_UNPINNED, display,
                            f"{r.kind} {r.repo_id} is loaded at {rev}: not a commit, and mlwarden.lock "
                            "records none", line=r.line,
                            hint="pass revision=\"<40-hex commit>\" and run `mlwarden lock`")
            for d in downloads(f):
                if d.hashed:
                    continue
                ref = urls.get(d.url)
                if ref is not None and ref.sha256:
                    continue
                where = "no sha256 in mlwarden.lock" if lock is not None else "no mlwarden.lock entry"
                run.add(R.DOWNLOAD_UNLOCKED, display, f"`{d.call}` downloads {d.url} with no inline hash and "
                        f"{where}", line=d.line,
                        hint=f"mlwarden lock add-url {d.url} --sha256 <hex> (or pass the checksum argument)")

    # -- Hugging Face cache ----------------------------------------------------------------------------
    @staticmethod
    def _hf_cache(run: _Run, cache: Path, lock: Lock | None = None) -> None:
        from mlwarden.core.errors import UsageError

        if not cache.is_dir():
            raise UsageError(f"--hf-cache {cache}: not a folder")
        for repo in sorted(cache.iterdir()):
            blobs = repo / "blobs"
            if not blobs.is_dir() or blobs.is_symlink():
                continue
            _hf_cache_vs_lock(run, repo, blobs, lock)
            # snapshot entries are links into this repository's blobs; one that points elsewhere serves
            # bytes nobody checked (a regular file there is a copy made where links are unavailable)
            snaps = repo / "snapshots"
            if snaps.is_dir() and not snaps.is_symlink():
                for dirpath, _dirs, names in os.walk(snaps, followlinks=False):
                    for n in sorted(names):
                        entry = Path(dirpath) / n
                        if entry.is_symlink() and not inside(entry, blobs):
                            run.add(R.HF_CACHE_CORRUPT, run.rel(entry), "snapshot file links to "
                                    f"{os.readlink(entry)!r}, not to a blob of its cache",
                                    hint="delete the snapshot and download again")
            for b in sorted(blobs.iterdir()):
                if b.is_symlink() or not b.is_file() or b.name.endswith(".incomplete"):
                    continue
                name = b.name
                display = run.rel(b)
                if len(name) == 64:
                    run.want(b)

                    def check(d: dict[Path, Any], b: Path = b, display: str = display) -> None:
                        got = d.get(b)
                        if got is not None and hasattr(got, "sha256") and got.sha256 != b.name:
                            run.add(R.HF_CACHE_CORRUPT, display, f"blob hashes to sha256:{got.sha256[:12]}…, "
                                    "not to its name", hint="delete it and download again")
                    run.after.append(check)
                elif len(name) == 40:
                    from mlwarden.checks.verify.digest import git_blob_sha1

                    got = git_blob_sha1(b)
                    if got is not None and got != name:
                        run.add(R.HF_CACHE_CORRUPT, display, f"blob's git id is {got[:12]}…, not its name",
                                hint="delete it and download again")


def _hf_cache_vs_lock(run: _Run, repo: Path, blobs: Path, lock: Lock | None) -> None:
    """A cached snapshot of a Hub commit whose files the lock recorded (``mlwarden lock --from-hub``): each
    snapshot link must name the blob the Hub listed (blobs are named by sha256 / git blob id, and checked
    against their names separately), and the snapshot may hold no file the Hub did not list."""
    kind, sep, rest = repo.name.partition("s--")
    if lock is None or not sep or kind not in ("model", "dataset"):
        return
    refs = {(r.hub, r.revision): r for r in lock.references if r.hub and r.revision and r.files}
    if not refs:
        return
    hub = f"{kind}:{rest.replace('--', '/')}"
    snaps = repo / "snapshots"
    for (ref_hub, rev), ref in sorted(refs.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        snap = snaps / (rev or "")
        if ref_hub != hub or not snap.is_dir() or snap.is_symlink():
            continue
        listed = {f.path: f for f in ref.files}
        at = f"{hub}@{(rev or '')[:12]}"
        for dirpath, _dirs, names in os.walk(snap, followlinks=False):
            for n in sorted(names):
                entry = Path(dirpath) / n
                rel = entry.relative_to(snap).as_posix()
                want = listed.get(rel)
                if want is None:
                    run.add(R.HF_CACHE_CORRUPT, run.rel(entry), f"{at} has no file {rel!r} "
                            "on the Hub (mlwarden.lock), yet the cached snapshot holds one",
                            hint="delete the snapshot and download again")
                    continue
                if not entry.is_symlink() or not inside(entry, blobs):
                    continue  # copies and foreign links: checked by the blob/link checks
                expected = want.sha256 or want.git_sha1
                blob = os.path.basename(os.readlink(entry))
                if blob != expected:
                    run.add(R.HF_CACHE_CORRUPT, run.rel(entry), f"links to blob {blob[:12]}…, but "
                            f"mlwarden.lock recorded {(expected or '')[:12]}… for {rel!r} at {at}",
                            hint="delete the snapshot and download again")


def _artifact_name(rel: str) -> bool:
    from mlwarden.checks.models.scanner import MODEL_EXTENSIONS
    from mlwarden.checks.verify.discover import DATA_EXTENSIONS, TEXT_DATA_EXTENSIONS

    return os.path.splitext(rel.lower())[1] in MODEL_EXTENSIONS | DATA_EXTENSIONS | TEXT_DATA_EXTENSIONS


def _compare(run: _Run, a: Any, entry: Any, path: Path, pointers: dict[str, Any],
             read_pointer: Callable[[Path], Any], hint: str) -> None:
    rel = a.repo_path(entry)
    ptr = read_pointer(path) if entry.size > 1024 or rel in pointers else None
    if ptr is not None:
        # an LFS file that was never pulled: the lfs check reports it; the pointer must name the locked bytes
        if ptr.oid != entry.sha256:
            run.add(R.CHANGED, rel, f"its LFS pointer names sha256:{ptr.oid[:12]}…, the lock "
                    f"sha256:{entry.sha256[:12]}…", hint=hint, expected=entry.sha256, actual=ptr.oid)
        elif rel not in pointers:
            run.add(R.LFS_NOT_PULLED, rel, "holds a Git LFS pointer, not the data: it was never pulled",
                    hint="run `git lfs pull` before using or verifying it")
        return
    try:
        size = path.stat().st_size
    except OSError as exc:
        run.add(R.MISSING, rel, f"cannot read: {exc.strerror or exc}", hint=hint)
        return
    if size != entry.size:
        run.add(R.CHANGED, rel, f"is {size} bytes, the lock says {entry.size}", hint=hint,
                expected=entry.sha256, artifact=a.path)
        return
    run.want(path)

    def check(d: dict[Path, Any]) -> None:
        got = d.get(path)
        if got is None or not hasattr(got, "sha256"):
            run.add(R.MISSING, rel, f"cannot read: {getattr(got, 'message', 'unknown error')}", hint=hint)
        elif got.sha256 != entry.sha256:
            run.add(R.CHANGED, rel, f"sha256:{got.sha256[:12]}… differs from the locked sha256:"
                    f"{entry.sha256[:12]}…", hint=hint, expected=entry.sha256, actual=got.sha256,
                    artifact=a.path)
    run.after.append(check)


def _dvc_out(run: _Run, out: Any) -> None:
    from mlwarden.checks.verify.dvc import cached_listing, dir_md5, file_md5, list_dir

    target = run.root / out.path
    if not inside(target.parent, run.root):
        run.add(R.SYMLINK, out.record, f"a folder on the way to DVC output {out.path} is a link out of "
                "the repository: not followed", line=out.line,
                hint="check out the data as files (`dvc checkout`)")
        return
    if target.is_symlink():
        real = target.resolve()
        if not inside(real, run.root):
            run.add(R.SYMLINK, out.path,
                    f"DVC output is a link out of the repository ({os.readlink(target)!r})",
                    hint="check out the data as files (`dvc checkout`)")
            return
        target = real
    if not target.exists():
        run.add(R.DVC_NOT_PULLED, out.record, f"output {out.path} is not in the work tree: not verified",
                line=out.line, hint="run `dvc pull` before verifying")
        return
    kind = "legacy md5-dos2unix " if out.legacy else ""
    if not out.is_dir:
        if not target.is_file():
            run.add(R.DVC_MISMATCH, out.record, f"output {out.path} is a folder, the record says a file",
                    line=out.line, hint="`dvc checkout` it, or `dvc add` the new data and review")
            return
        run.want(target, md5=True)

        def check(d: dict[Path, Any]) -> None:
            got = d.get(target)
            m = file_md5(got, out.legacy) if got is not None and hasattr(got, "md5") else None
            if m is None:
                return
            if m != out.md5:
                run.add(R.DVC_MISMATCH, out.record, f"output {out.path} has {kind}MD5 {m}, the record says "
                        f"{out.md5}", line=out.line,
                        hint="`dvc checkout` the recorded data, or `dvc add` the new data and review it")
        run.after.append(check)
        return
    if not target.is_dir():
        run.add(R.DVC_MISMATCH, out.record, f"output {out.path} is a file, the record says a folder",
                line=out.line, hint="`dvc checkout` it, or `dvc add` the new data and review")
        return
    listing = list_dir(target)
    for _, p in listing:
        run.want(p, md5=True)

    def check_dir(d: dict[Path, Any]) -> None:
        digests = {}
        for rel, p in listing:
            got = d.get(p)
            if got is None or not hasattr(got, "md5"):
                return
            digests[rel] = got
        m = dir_md5(digests, out.legacy)
        if m is None or m == out.md5:
            return
        detail = ""
        cached = cached_listing(run.root, out.md5)
        if cached is not None:
            now = {rel: file_md5(g, out.legacy) for rel, g in digests.items()}
            changed = sorted(r for r in now if r in cached and cached[r] != now[r])
            added = sorted(set(now) - set(cached))
            gone = sorted(set(cached) - set(now))
            parts = [f"{w}: {', '.join(v[:5])}{'…' if len(v) > 5 else ''}"
                     for w, v in (("changed", changed), ("added", added), ("missing", gone)) if v]
            detail = " (" + "; ".join(parts) + ")" if parts else ""
        run.add(R.DVC_MISMATCH, out.record, f"folder output {out.path} has {kind}listing MD5 {m}, the record "
                f"says {out.md5}{detail}", line=out.line,
                hint="`dvc checkout` the recorded data, or `dvc add` the new data and review it")
    run.after.append(check_dir)


def _trusted_keys(run: _Run) -> tuple[list[Any], list[Any]] | Exception:
    """(public keys, CA certificates) from the options; an Exception when cryptography is missing."""
    from mlwarden.checks.verify.signing import Unverifiable, load_ca_certificates, load_public_keys

    paths = [*(run.ctx.opt("trusted-keys") or ()), *(run.ctx.opt("trusted-key") or ())]
    cas = [*(run.ctx.opt("trusted-cas") or ()), *(run.ctx.opt("trusted-ca") or ())]
    try:
        return (load_public_keys(paths) if paths else [], load_ca_certificates(cas) if cas else [])
    except Unverifiable as exc:
        return exc


def _verify_signature(run: _Run, sig_rel: str, target: str, art: Any,
                      keys: tuple[list[Any], list[Any]] | Exception) -> None:
    from mlwarden.checks.verify.discover import list_folder
    from mlwarden.checks.verify.signing import BundleError, Unverifiable, read_bundle, verify_bundle

    sig_path = run.root / sig_rel
    if not inside(sig_path, run.root) or not inside((run.root / target).parent, run.root):
        run.add(R.SYMLINK, sig_rel, f"the signature or {target} lies behind a link out of the repository: "
                "not followed", hint="keep signed models and their bundles inside the repository")
        return
    if not sig_path.is_file():
        run.add(R.SIGNATURE_INVALID, sig_rel, f"the signature mlwarden.lock records for {target} is missing",
                severity=Severity.HIGH, hint="restore the bundle (a removed signature hides any change)")
        return
    try:
        if isinstance(keys, Exception):
            raise keys
        bundle = read_bundle(sig_path)
        verified = verify_bundle(bundle, keys[0], keys[1])
    except Unverifiable as exc:
        run.add(R.SIGNATURE_UNCHECKED, sig_rel, f"signature of {target} not checked: {exc}",
                hint="configure trusted-keys (or MLWARDEN_TRUSTED_KEYS) with the publisher's public key")
        return
    except BundleError as exc:
        run.add(R.SIGNATURE_INVALID, sig_rel, f"signature of {target} does not verify: {exc}",
                hint="do not use the model; get it again from its publisher")
        return
    if art is not None and art.signer and not verified.signed_by(art.signer):
        run.add(R.SIGNER_UNEXPECTED, sig_rel,
                f"{target} is signed by {verified.signer[:23]}…, the lock expects {art.signer[:23]}…",
                hint="find out why the signer changed; update `signer` after review")
    tpath = run.root / target
    actual: dict[str, Path] = {}
    if tpath.is_dir() and not tpath.is_symlink():
        ignored = set(verified.ignore_paths)
        for item in list_folder(tpath, sig_path):
            top = item.rel.split("/", 1)[0]
            if top in ignored or item.rel in ignored:
                continue
            if item.symlink:
                run.add(R.SYMLINK, f"{target}/{item.rel}", f"symbolic link inside signed folder {target}",
                        hint="replace the link by the signed file")
                continue
            actual[item.rel] = item.path
    elif tpath.is_file() and not tpath.is_symlink():
        actual["."] = tpath
    for name in sorted(set(verified.resources) - set(actual)):
        shown = target if name == "." else f"{target}/{name}"
        run.add(R.SIGNATURE_INVALID, shown, f"signed file is missing (signature {sig_rel})",
                hint="restore the signed file; do not use the model as it is")
    for name in sorted(set(actual) - set(verified.resources)):
        run.add(R.SIGNATURE_UNCOVERED, f"{target}/{name}", f"not covered by the signature {sig_rel}",
                hint="remove it, or have the publisher sign the folder again")
    for name, p in actual.items():
        if name not in verified.resources:
            continue
        run.want(p)

        def check(d: dict[Path, Any], name: str = name, p: Path = p) -> None:
            got = d.get(p)
            shown = target if name == "." else f"{target}/{name}"
            if got is None or not hasattr(got, "sha256"):
                run.add(R.SIGNATURE_INVALID, shown, "signed file cannot be read", hint="restore it")
            elif got.sha256 != verified.resources[name]:
                run.add(R.SIGNATURE_INVALID, shown, f"content sha256:{got.sha256[:12]}… is not the signed "
                        f"sha256:{verified.resources[name][:12]}… (signature {sig_rel})",
                        hint="do not use the model; get it again from its publisher",
                        expected=verified.resources[name], actual=got.sha256)
        run.after.append(check)
