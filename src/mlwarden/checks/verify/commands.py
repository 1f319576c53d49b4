"""``mlwarden lock`` (write or check mlwarden.lock, add URL references, export SLSA) and ``mlwarden sign``
(write an OpenSSF model-signing ``key`` bundle). Exit codes: 0 done/up to date, 1 the lock would change
(``--check``) or a flagged file was refused, 2 usage or I/O error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlwarden.checks.verify import lockfile
from mlwarden.checks.verify.lockfile import Artifact, FileEntry, Lock, Reference
from mlwarden.core.errors import InputError, UsageError
from mlwarden.core.findings import Severity

_FLAG_ORDER = ("clean", "flagged:low", "flagged:medium", "flagged:high", "flagged:critical")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}")


def lock_main(argv: Sequence[str] | None = None) -> int:
    from mlwarden.cli import guarded

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "add-url":
        return guarded(lambda: _add_url(args[1:]))
    return guarded(lambda: _lock(args))


def sign_main(argv: Sequence[str] | None = None) -> int:
    from mlwarden.cli import guarded

    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _sign(args))


# --- mlwarden lock ------------------------------------------------------------------------------------

def _lock_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mlwarden lock", description="Write mlwarden.lock: every model/data artifact (a "
                "file, or a Hub-style folder as one entry) with its source, per-file sha256 and size, the "
                "model-signing tree digest and the scan-models verdict; and the Hub commits and URL hashes "
                "code downloads. "
                "`mlwarden lock add-url URL --sha256 HEX | --file PATH` records a download.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="where to look for artifacts (default: .)")
    p.add_argument("--lock", default=lockfile.LOCK_NAME, metavar="FILE", help="the lock file to write")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the lock would change")
    p.add_argument("--allow-flagged", action="store_true",
                   help="lock files scan-models flags critical (after you reviewed them)")
    p.add_argument("--source", action="append", default=[], metavar="PATH=SOURCE",
                   help="where an artifact comes from: hf:org/name@<commit>, url:..., dvc:file.dvc, local")
    p.add_argument("--signer", action="append", default=[], metavar="PATH=sha256:HEX",
                   help="the expected signer (public key fingerprint) of an artifact's signature")
    p.add_argument("--folder", action="append", default=[], metavar="DIR",
                   help="lock this folder as one artifact (Hub-style folders are found by themselves)")
    p.add_argument("--slsa", metavar="FILE", help="also write the lock as SLSA v1.0 resolvedDependencies")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="paths to skip")
    p.add_argument("--jobs", type=int, default=0, metavar="N", help="hashing threads (0: automatic)")
    p.add_argument("--from-hub", action="store_true",
                   help="query the Hugging Face Hub API for the files (sha256 of LFS files, git blob id of "
                   "others) of every [[reference]] pinned to a commit (the only network use of `lock`)")
    p.add_argument("--hf-endpoint", metavar="URL",
                   help="Hub endpoint for --from-hub (default: $HF_ENDPOINT, else https://huggingface.co)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="per-request timeout for --from-hub (default 30; all requests together: 300)")
    return p


def _kv(items: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for it in items:
        k, sep, v = it.partition("=")
        if not sep or not k or not v:
            raise UsageError(f"{what} wants PATH=VALUE, not {it!r}")
        out[k.rstrip("/")] = v
    return out


def _read_prev(path: Path, display: str) -> Lock | None:
    if not path.exists():
        return None
    try:
        return lockfile.read(path, display)
    except lockfile.LockError as exc:
        print(f"mlwarden: warning: {exc}; writing a new lock from scratch", file=sys.stderr)
        return None


def _lock(argv: list[str]) -> int:
    args = _lock_parser().parse_args(argv)
    root = Path.cwd()
    lock_path = root / args.lock
    prev = _read_prev(lock_path, args.lock)
    paths = args.paths or ["."]
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"{p}: no such file or directory")
    if args.hf_endpoint and not args.from_hub:
        raise UsageError("--hf-endpoint only applies with --from-hub")
    if not args.timeout > 0:
        raise UsageError("--timeout must be positive")
    unpinned: list[str] = []
    new, refused = build_lock(root, paths, prev, sources=_kv(args.source, "--source"),
                              signers=_kv(args.signer, "--signer"), folders=args.folder,
                              exclude=args.exclude, jobs=args.jobs, lock_rel=args.lock, unpinned=unpinned)
    if args.from_hub:
        new.references = _fill_from_hub(new.references, unpinned, args.hf_endpoint, args.timeout)
    if refused and not args.allow_flagged:
        for rel, verdict in refused:
            print(f"{rel}: scan-models verdict {verdict}", file=sys.stderr)
        print(f"mlwarden lock: refusing to lock {len(refused)} flagged file(s); review them with "
              "`mlwarden scan-models`, then pass --allow-flagged", file=sys.stderr)
        return 1
    text = lockfile.dumps(new)
    old = lock_path.read_bytes() if lock_path.is_file() else None
    changed = old != text.encode()
    if args.slsa:
        from mlwarden.core.fileio import atomic_write_text

        atomic_write_text(Path(args.slsa), slsa_json(new))
    if args.check:
        if changed:
            print(f"{args.lock}: would change (run `mlwarden lock` and review the diff)", file=sys.stderr)
            return 1
        return 0
    if changed:
        from mlwarden.core.fileio import atomic_write_text

        atomic_write_text(lock_path, text)
        print(f"wrote {args.lock}: {len(new.artifacts)} artifact(s), {len(new.references)} reference(s)",
              file=sys.stderr)
    return 0


def build_lock(root: Path, paths: Sequence[str], prev: Lock | None, *, sources: dict[str, str] | None = None,
               signers: dict[str, str] | None = None, folders: Sequence[str] = (),
               exclude: Sequence[str] = (), jobs: int = 0, lock_rel: str = lockfile.LOCK_NAME,
               unpinned: list[str] | None = None) -> tuple[Lock, list[tuple[str, str]]]:
    """The lock for ``paths`` and the (path, verdict) of files scan-models flags critical. Hub references
    in code that are not pinned to a commit are appended to ``unpinned`` (``path:line kind:repo``)."""
    from mlwarden.checks.verify.digest import Digest, hash_many
    from mlwarden.checks.verify.discover import (
        find_model_folders,
        hub_source,
        list_folder,
        model_walk_match,
        sniff_format,
    )
    from mlwarden.checks.verify.dvc import DvcError, read_record
    from mlwarden.checks.verify.lfs import index_pointers, read_pointer_file
    from mlwarden.core.files import iter_files, relpath

    sources = dict(sources or {})
    signers = dict(signers or {})
    prev_by = prev.by_path() if prev else {}
    found: dict[str, str] = {}  # rel -> format
    dvc_src: dict[str, str] = {}
    dvc_dirs: set[str] = set()
    for f in iter_files(list(paths), root=root, exclude=exclude):
        rel = relpath(f, root)
        if rel == lock_rel or f.is_symlink():
            continue
        base = rel.rsplit("/", 1)[-1]
        if base.endswith(".dvc") or base == "dvc.lock":
            try:
                outs = read_record(f, rel, root)
            except DvcError:
                continue
            for o in outs:
                dvc_src[o.path] = f"dvc:{rel}"
                if o.is_dir:
                    dvc_dirs.add(o.path)
            continue
        if not model_walk_match(rel):
            continue
        fmt = sniff_format(f, rel)
        if fmt:
            found[rel] = fmt
    for out in dvc_src:
        op = root / out
        if out not in dvc_dirs and op.is_file() and not op.is_symlink():
            found.setdefault(out, sniff_format(op, out) or "data")
    chosen_folders = find_model_folders(found, root) | {d for d in dvc_dirs if (root / d).is_dir()}
    chosen_folders |= {f.rstrip("/") for f in folders}
    chosen_folders |= {a.path for a in (prev.artifacts if prev else []) if a.kind == "folder"
                       and (root / a.path).is_dir() and any(_under(a.path, s, root) for s in paths)}
    chosen_folders = {f for f in chosen_folders if not any(f != g and f.startswith(g + "/")
                                                           for g in chosen_folders)}
    for folder_rel in chosen_folders:
        if not (root / folder_rel).is_dir():
            raise UsageError(f"--folder {folder_rel}: not a folder")
    pointers = index_pointers(root) or {}

    # what to hash
    plan: dict[str, tuple[str, list[tuple[str, Path]]]] = {}  # artifact -> (kind, [(name, path)])
    skipped_links: list[str] = []
    for folder in sorted(chosen_folders):
        sig = _signature_for(root, folder, prev_by.get(folder))
        items = []
        for item in list_folder(root / folder, root / sig if sig else None):
            if item.symlink:
                skipped_links.append(f"{folder}/{item.rel}")
                continue
            items.append((item.rel, item.path))
        plan[folder] = ("folder", items)
    for rel in sorted(found):
        if any(rel.startswith(f + "/") for f in chosen_folders) or rel in chosen_folders:
            continue
        plan[rel] = ("file", [(".", root / rel)])
    for link in skipped_links:
        print(f"mlwarden lock: warning: {link} is a symbolic link: not locked (verify-artifacts will "
              "flag it)", file=sys.stderr)

    todo: list[Path] = []
    lfs_unpulled: dict[Path, Any] = {}
    for _, items in plan.values():
        for _, p in items:
            ptr = read_pointer_file(p)
            if ptr is not None:
                lfs_unpulled[p] = ptr
            else:
                todo.append(p)
    digests = hash_many(todo, jobs=jobs)

    # verdicts from scan-models (model formats only)
    refused: list[tuple[str, str]] = []
    artifacts: list[Artifact] = []
    for art_rel, (kind, items) in sorted(plan.items()):
        entries: list[FileEntry] = []
        verdict = "clean"
        for name, p in items:
            file_rel = art_rel if kind == "file" else f"{art_rel}/{name}"
            if p in lfs_unpulled:
                ptr = lfs_unpulled[p]
                entries.append(FileEntry(name, ptr.oid, ptr.size))
                verdict = _worse(verdict, "not-pulled")
                continue
            d = digests.get(p)
            if not isinstance(d, Digest):
                raise InputError(f"cannot read: {getattr(d, 'message', 'error')}", path=file_rel)
            entries.append(FileEntry(name, d.sha256, d.size))
            fmt = found.get(file_rel) or (sniff_format(p, file_rel) if kind == "folder" else None)
            if fmt and not fmt.startswith("data"):
                v = _verdict(p, file_rel)
                if v == "flagged:critical":
                    refused.append((file_rel, v))
                verdict = _worse(verdict, v)
        old = prev_by.get(art_rel)
        src = sources.get(art_rel) or hub_source(art_rel + ("/" if kind == "folder" else "")) \
            or dvc_src.get(art_rel)
        if src is None and old is not None and old.source != "local":
            src = old.source
        if src is None and kind == "file" and art_rel in pointers:
            src = "lfs"
        sig = _signature_for(root, art_rel, old)
        signer = signers.get(art_rel) or (old.signer if old is not None else None)
        if sig and not signer:
            signer = _bundle_signer(root / sig)
        fmt_name = found.get(art_rel, "data") if kind == "file" else (
            "dvc-folder" if art_rel in dvc_dirs else "hf-folder" if _has_marker(root / art_rel) else "folder")
        artifacts.append(Artifact(path=art_rel, kind=kind, format=fmt_name, source=src or "local",
                                  files=tuple(entries), verdict=verdict, signature=sig, signer=signer))
    # artifacts outside the paths given keep their entries
    keep = [a for a in (prev.artifacts if prev else []) if a.path not in plan
            and not any(_under(a.path, s, root) for s in paths)]
    new = Lock(artifacts=sorted([*artifacts, *keep], key=lambda a: lockfile.path_key(a.path)),
               references=_references(root, paths, prev, exclude, unpinned))
    return new, refused


def _under(rel: str, arg: str, root: Path) -> bool:
    from mlwarden.core.files import relpath

    a = relpath(Path(arg).resolve(), root.resolve()) if Path(arg).is_absolute() else \
        relpath((Path.cwd() / arg).resolve(), root.resolve())
    return a in ("", ".") or rel == a or rel.startswith(a + "/")


def _has_marker(folder: Path) -> bool:
    from mlwarden.checks.verify.discover import HUB_MARKERS

    return any((folder / m).is_file() for m in HUB_MARKERS)


def _signature_for(root: Path, rel: str, old: Artifact | None) -> str | None:
    if old is not None and old.signature and (root / old.signature).is_file():
        return old.signature
    cand = rel + ".sig"
    return cand if (root / cand).is_file() else None


def _bundle_signer(path: Path) -> str | None:
    from mlwarden.checks.verify.signing import BundleError, Unverifiable, bundle_signer_hint, read_bundle

    try:
        return bundle_signer_hint(read_bundle(path))
    except (BundleError, Unverifiable):
        return None


def _verdict(path: Path, rel: str) -> str:
    from mlwarden.checks.models import scan_file

    _, findings = scan_file(path, rel)
    worst = max((f.level for f in findings), default=None)
    if worst is None or worst < Severity.MEDIUM:
        return "clean"
    return f"flagged:{worst.label}"


def _worse(a: str, b: str) -> str:
    rank = {v: i for i, v in enumerate(_FLAG_ORDER)}
    if b == "not-pulled":
        return a if a != "clean" else b
    if a == "not-pulled":
        return b if b != "clean" else a
    return a if rank.get(a, 0) >= rank.get(b, 0) else b


def _fill_from_hub(refs: list[Reference], unpinned: list[str], endpoint_flag: str | None,
                   timeout: float) -> list[Reference]:
    """--from-hub: every Hub reference pinned to a commit gets its files from the Hub API. Unpinned ones
    are reported (never resolved: a branch names different bytes tomorrow)."""
    import os

    from mlwarden.checks.verify import hubapi
    from mlwarden.core.net import Deadline

    for where in sorted(set(unpinned)):
        print(f"mlwarden lock: warning: {where} is not pinned to a commit: --from-hub does not resolve "
              "branches or tags; pin revision=<40-hex commit> to lock its files", file=sys.stderr)
    url = hubapi.endpoint(endpoint_flag)
    token = os.environ.get("HF_TOKEN") or None
    deadline = Deadline(hubapi.DEADLINE)
    out = []
    for r in refs:
        if r.hub and not r.revision:
            print(f"mlwarden lock: warning: reference {r.hub} has no revision: not resolved by --from-hub",
                  file=sys.stderr)
        if r.hub and r.revision:
            files = hubapi.fetch_tree(r.hub, r.revision, endpoint_url=url, token=token, timeout=timeout,
                                      deadline=deadline)
            r = replace(r, files=files)
        out.append(r)
    return out


def _references(root: Path, paths: Sequence[str], prev: Lock | None,
                exclude: Sequence[str], unpinned: list[str] | None = None) -> list[Reference]:
    from mlwarden.checks.unsafe_loads import hub_references
    from mlwarden.core.files import iter_files, relpath

    refs: dict[tuple[str, str], Reference] = {}
    seen_ids: set[str] = set()
    for f in iter_files(list(paths), root=root, exclude=exclude,
                        match=lambda rel: rel.lower().endswith((".py", ".ipynb"))):
        if not f.name.lower().endswith((".py", ".ipynb")):
            continue
        try:
            found = hub_references(f, relpath(f, root))
        except (OSError, ValueError, RecursionError):
            continue
        for h in found:
            hub = f"{h.kind}:{h.repo_id}"
            seen_ids.add(hub)
            if not (h.pinned and h.revision) and unpinned is not None:
                unpinned.append(f"{h.path}:{h.line} {hub}")
            if h.pinned and h.revision:
                ref = Reference(hub=hub, revision=h.revision)
                if ("hub", hub) in refs and refs[("hub", hub)].revision != h.revision:
                    # two commits of one repository: keep both visible by revision in the key
                    refs[("hub", f"{hub}@{h.revision}")] = ref
                else:
                    refs[("hub", hub)] = ref
    prev_files = {(r.hub, r.revision): r.files for r in (prev.references if prev else [])
                  if r.hub and r.files}
    for key, ref in list(refs.items()):
        kept = prev_files.get((ref.hub or "", ref.revision))
        if kept:  # files recorded by an earlier --from-hub stay while the commit is the same
            refs[key] = replace(ref, files=kept)
    for r in (prev.references if prev else []):
        if r.url:
            refs.setdefault(r.key, r)
        elif r.hub and r.hub in seen_ids and ("hub", r.hub) not in refs:
            refs[r.key] = r
    return sorted(refs.values(), key=lambda r: (r.key, r.revision or ""))


def _add_url(argv: list[str]) -> int:
    p = _Parser(prog="mlwarden lock add-url",
                description="Record a URL that code downloads, with its sha256.")
    p.add_argument("url")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--sha256", metavar="HEX")
    g.add_argument("--file", metavar="PATH", help="compute the sha256 of a local copy")
    p.add_argument("--lock", default=lockfile.LOCK_NAME, metavar="FILE")
    args = p.parse_args(argv)
    if "://" not in args.url:
        raise UsageError(f"{args.url!r} is not a URL")
    if args.file:
        from mlwarden.checks.verify.digest import Digest, hash_file

        d = hash_file(Path(args.file))
        if not isinstance(d, Digest):
            raise InputError(f"cannot read: {d.message}", path=args.file)
        sha = d.sha256
    else:
        sha = args.sha256.lower().removeprefix("sha256:")
        if not lockfile.HEX64.fullmatch(sha):
            raise UsageError("--sha256 wants 64 hex digits")
    path = Path(args.lock)
    lock = lockfile.read(path, args.lock) if path.exists() else Lock()
    lock.references = [*(r for r in lock.references if r.url != args.url),
                       Reference(url=args.url, sha256=sha)]
    from mlwarden.core.fileio import atomic_write_text

    atomic_write_text(path, lockfile.dumps(lock))
    print(f"{args.lock}: {args.url} sha256:{sha}", file=sys.stderr)
    return 0


def slsa_json(lock: Lock) -> str:
    """The lock as SLSA v1.0 provenance ``resolvedDependencies`` (ResourceDescriptors)."""
    deps: list[dict[str, Any]] = []
    for a in lock.artifacts:
        d: dict[str, Any] = {"name": a.path, "digest": {"sha256": a.tree.split(":", 1)[1]}}
        if a.source.startswith("hf:"):
            repo, _, rev = a.source[3:].partition("@")
            d["uri"] = f"https://huggingface.co/{repo}"
            if rev:
                d["digest"]["gitCommit"] = rev
        elif a.source.startswith("url:"):
            d["uri"] = a.source[4:]
        d["annotations"] = {"kind": a.kind, "format": a.format, "source": a.source, "size": a.size,
                            "verdict": a.verdict, "digestMethod": "model-signing-v1.0-files-sha256"}
        if a.kind == "file":
            d["digest"]["sha256"] = a.files[0].sha256
            d["annotations"]["digestMethod"] = "sha256"
            d["annotations"]["modelSigningDigest"] = a.tree
        deps.append(d)
    for r in lock.references:
        if r.hub:
            kind, _, repo = r.hub.partition(":")
            uri = f"https://huggingface.co/{'datasets/' if kind == 'dataset' else ''}{repo}"
            entry: dict[str, Any] = {"uri": uri, "name": repo}
            if r.revision:
                entry["digest"] = {"gitCommit": r.revision}
            deps.append(entry)
        elif r.url:
            entry = {"uri": r.url}
            if r.sha256:
                entry["digest"] = {"sha256": r.sha256}
            deps.append(entry)
    doc = {"buildDefinition": {"resolvedDependencies": deps}}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# --- mlwarden sign ------------------------------------------------------------------------------------

def _sign(argv: list[str]) -> int:
    p = _Parser(prog="mlwarden sign", description="Sign a model folder or file in OpenSSF model-signing's "
                "format (`key` method): `model_signing verify key` accepts the bundle.")
    p.add_argument("path", metavar="MODEL_PATH")
    p.add_argument("--key", required=True, metavar="PEM", help="EC private key (P-256/384/521), PEM")
    p.add_argument("--password-env", metavar="VAR", help="environment variable holding the key's password")
    p.add_argument("--signature", metavar="FILE", help="where to write the bundle (default: MODEL_PATH.sig)")
    args = p.parse_args(argv)
    import os

    from mlwarden.checks.verify.digest import Digest, hash_many
    from mlwarden.checks.verify.discover import SIGNING_IGNORED, list_folder
    from mlwarden.checks.verify.signing import sign

    target = Path(args.path)
    if target.is_symlink() or not target.exists():
        raise UsageError(f"{args.path}: not a file or folder (symbolic links are not signed)")
    out = Path(args.signature) if args.signature else Path(str(target).rstrip("/") + ".sig")
    ignore = sorted(SIGNING_IGNORED)
    if target.is_dir():
        items = []
        for item in list_folder(target, out):
            if item.symlink:
                raise UsageError(f"{item.path}: symbolic links cannot be signed")
            items.append((item.rel, item.path))
        try:
            rel_sig = out.resolve().relative_to(target.resolve()).as_posix()
            ignore.append(rel_sig)
        except ValueError:
            pass
    else:
        items = [(".", target)]
    digests = hash_many([p for _, p in items])
    files = {}
    for name, path in items:
        d = digests.get(path)
        if not isinstance(d, Digest):
            raise InputError(f"cannot read: {getattr(d, 'message', 'error')}", path=str(path))
        files[name] = d.sha256
    password = os.environ.get(args.password_env, "").encode() if args.password_env else None
    name = target.resolve().name
    bundle = sign(name, files, ignore, Path(args.key), password)
    from mlwarden.core.fileio import atomic_write_bytes

    atomic_write_bytes(out, bundle)
    print(f"wrote {out} ({len(files)} file(s))", file=sys.stderr)
    return 0


def verified_artifact_digests(root: Path, lock_rel: str = lockfile.LOCK_NAME) -> dict[str, Any] | None:
    """For generate-sbom: {repo path: FileEntry} of every locked file, or None when there is no lock."""
    path = root / lock_rel
    if not path.is_file():
        return None
    lock = lockfile.read(path, lock_rel)
    out: dict[str, Any] = {}
    for a in lock.artifacts:
        for f in a.files:
            out[a.repo_path(f)] = replace(f)
    return out
