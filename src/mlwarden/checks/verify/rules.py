"""verify-artifacts rules (MLW9xx: artifact integrity: lock, signatures, LFS/DVC, downloads)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "verify-artifacts"

LOCK_UNREADABLE = Rule(
    "MLW901", "lock-unreadable", Severity.HIGH, "mlwarden.lock cannot be read, so nothing was verified",
    "The lock file is not valid TOML, has an unknown version or malformed entries. Nothing it records was "
    "checked. Regenerate it with `mlwarden lock` and review the diff.", check=_C)
CHANGED = Rule(
    "MLW902", "artifact-changed", Severity.HIGH, "Artifact bytes differ from the reviewed lock",
    "The file's sha256 or size is not the one recorded in mlwarden.lock when it was reviewed: the model or "
    "data file was replaced or modified (by a commit, a cache, an LFS/DVC remote or a bucket). Find out "
    "where the new bytes come from, scan them, then run `mlwarden lock` and commit the reviewed change.",
    cwe=(494, 345), check=_C)
MISSING = Rule(
    "MLW903", "artifact-missing", Severity.HIGH, "Locked artifact is missing",
    "A file recorded in mlwarden.lock does not exist in the work tree, so whatever is used in its place "
    "was never reviewed. Restore it (`git lfs pull`, `dvc pull`) or run `mlwarden lock` to drop it.",
    cwe=(345,), check=_C)
ADDED = Rule(
    "MLW904", "artifact-unlocked", Severity.HIGH, "Model or data file not recorded in mlwarden.lock",
    "A file was added inside a locked folder (high: loaders pick up every file of a model folder), or a "
    "model/data file has no lock entry at all (medium). Review it and run `mlwarden lock`.",
    cwe=(345,), check=_C)
SYMLINK = Rule(
    "MLW905", "artifact-symlink", Severity.HIGH, "Artifact is a symbolic link",
    "A symbolic link stands where a locked file was, or a link inside a model folder points outside the "
    "repository: what gets loaded is decided by whatever the link points to at run time. Replace the link "
    "by the reviewed file.", cwe=(59,), check=_C)
SIGNATURE_INVALID = Rule(
    "MLW906", "signature-invalid", Severity.CRITICAL, "Model signature does not verify",
    "The OpenSSF model-signing bundle's signature does not verify with the trusted keys, its statement "
    "is inconsistent, or the signed file digests do not match the files. Do not use the model; get it "
    "again from its publisher.", cwe=(347,), check=_C)
SIGNATURE_UNCHECKED = Rule(
    "MLW907", "signature-unverifiable", Severity.HIGH, "Model signature that could not be checked",
    "A signature bundle exists but could not be verified: no trusted key is configured (`trusted-keys`, "
    "`--trusted-key`, MLWARDEN_TRUSTED_KEYS), the bundle is keyless/certificate-based and no pinned trust "
    "configuration is available, the bundle format is not supported, or the `signatures` extra is not "
    "installed. A signature nobody checks protects nothing.", cwe=(347,), check=_C)
SIGNATURE_UNCOVERED = Rule(
    "MLW908", "signature-uncovered", Severity.HIGH, "File in a signed model folder that the signature "
    "does not cover",
    "The signature is valid, but this file of the folder is not in the signed manifest (it was added "
    "after signing). Loaders read it all the same. Remove it or have the publisher sign again.",
    cwe=(345,), check=_C)
SIGNER_UNEXPECTED = Rule(
    "MLW909", "signer-unexpected", Severity.HIGH, "Model signed by someone else than the expected signer",
    "The bundle verifies with a trusted key, but not with the key mlwarden.lock expects for this "
    "artifact (`signer`). Find out why the signer changed before trusting the new one.",
    cwe=(347,), check=_C)
LFS_NOT_PULLED = Rule(
    "MLW910", "lfs-not-pulled", Severity.HIGH, "Git LFS file never pulled: the work tree holds the pointer",
    "The file's content in the work tree is a Git LFS pointer, not the data: `git status` calls it clean, "
    "but tests and training read 130 bytes of text (or silently skip the file). Run `git lfs pull` (in CI: "
    "`lfs: true` on checkout) before using or verifying it.", check=_C)
LFS_MISMATCH = Rule(
    "MLW911", "lfs-mismatch", Severity.HIGH, "Git LFS file differs from the object its pointer names",
    "The work-tree content does not hash to the sha256 `oid` (or size) of the pointer committed in git: "
    "the file was replaced after checkout, or the LFS server handed over other bytes.",
    cwe=(494, 345), check=_C)
DVC_MISMATCH = Rule(
    "MLW912", "dvc-mismatch", Severity.HIGH, "DVC output differs from its .dvc record",
    "The output's MD5 (for a folder: the MD5 of DVC's `.dir` listing) is not the one recorded in the .dvc "
    "or dvc.lock file: the data was modified after `dvc pull`/`dvc checkout`, or the remote served other "
    "bytes. `dvc status` can miss this when the cache is empty.", cwe=(494, 345), check=_C)
DVC_NOT_PULLED = Rule(
    "MLW913", "dvc-not-pulled", Severity.INFO, "DVC output not in the work tree: not verified",
    "The .dvc or dvc.lock file records an output that is not in the work tree (not pulled, or not produced "
    "yet), so it was not verified. Nothing uses it as it is; run `dvc pull` before the step that uses the "
    "data and verify after it. (A locked artifact that is missing is `artifact-missing`, high.)", check=_C)
HUB_UNPINNED = Rule(
    "MLW914", "hub-ref-not-locked", Severity.MEDIUM, "Hub download not pinned to the locked commit",
    "Code downloads a Hugging Face model or dataset by a revision that is not a 40-hex commit, or by a "
    "commit other than the one mlwarden.lock records for it (high). Pass `revision=\"<commit>\"` and "
    "record it with `mlwarden lock`. Only checked when the project keeps a lock (check-unsafe-loads' "
    "hub-unpinned covers the others; on one line the two are one finding).", cwe=(494, 829), check=_C,
    role_severity=(("test", None),), supersedes=("MLW201",))
DOWNLOAD_UNLOCKED = Rule(
    "MLW915", "download-not-locked", Severity.MEDIUM, "Download with neither a lock entry nor a hash",
    "Code downloads a file by URL without an inline checksum (`pooch.retrieve(known_hash=)`, "
    "`keras.utils.get_file(file_hash=)`, `check_hash=True`, `hash_prefix=`) and mlwarden.lock has no "
    "`[[reference]]` with its sha256. Add one: `mlwarden lock add-url URL --sha256 HEX`. (When the same "
    "code also loads the file, check-unsafe-loads' download-unverified is folded into this finding.)",
    cwe=(494,), check=_C, supersedes=("MLW206",))
HF_CACHE_CORRUPT = Rule(
    "MLW916", "hf-cache-corrupt", Severity.HIGH, "Hugging Face cache blob does not hash to its name",
    "Blobs in a Hugging Face cache are named by their sha256 (LFS files) or git blob id; this one's bytes "
    "do not match, so the cache was modified or corrupted (huggingface_hub checks only the size). With a "
    "lock filled by `mlwarden lock --from-hub`, a snapshot of a locked commit must also link each file to "
    "the blob the Hub listed and hold no file the Hub did not list. Delete it and download again.",
    cwe=(494, 345), check=_C)
LOCK_REFERENCE_MISMATCH = Rule(
    "MLW917", "lock-source-mismatch", Severity.HIGH, "Locked artifact no longer matches its recorded source",
    "The lock says the artifact comes from a DVC record, LFS pointer or Hub commit, and that record now "
    "names other content than the lock: the source moved without the lock being reviewed.",
    cwe=(345,), check=_C)

RULES: tuple[Rule, ...] = (
    LOCK_UNREADABLE, CHANGED, MISSING, ADDED, SYMLINK, SIGNATURE_INVALID, SIGNATURE_UNCHECKED,
    SIGNATURE_UNCOVERED, SIGNER_UNEXPECTED, LFS_NOT_PULLED, LFS_MISMATCH, DVC_MISMATCH, DVC_NOT_PULLED,
    HUB_UNPINNED, DOWNLOAD_UNLOCKED, HF_CACHE_CORRUPT, LOCK_REFERENCE_MISMATCH,
)
