"""check-pins rules (MLW3xx: pins and indexes)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "check-pins"
UNPINNED = Rule("MLW301", "unpinned", Severity.HIGH, "Dependency not pinned to one exact version",
                "Only `==VERSION` (no wildcard) or `===VERSION` pins one release; anything else lets the "
                "resolver pick a new, possibly malicious, release at install time. Pin with `==` "
                "(and hashes).",
                cwe=(1357, 829), check=_C,
                # a published package's declarations are ranges by design (core.roles)
                role_severity=(("library", Severity.INFO),),
                # a hash, an advisory lookup and an SBOM version all need a pin first: one finding
                supersedes=("missing-hash", "cannot-audit", "sbom-component-unpinned"))
MISSING_HASH = Rule("MLW302", "missing-hash", Severity.HIGH, "Requirement without a hash",
                    "Without `--hash=sha256:...` pip accepts any file the index serves for that version. "
                    "Generate hashes (`mlwarden check-pins --fix-hashes`, `pip-compile --generate-hashes`, "
                    "`uv pip compile --generate-hashes`) and install with `--require-hashes`.",
                    cwe=(494, 353), check=_C, role_severity=(("library", Severity.INFO),))
VCS_UNPINNED = Rule("MLW303", "vcs-unpinned", Severity.HIGH, "VCS requirement not pinned to a full commit",
                    "A branch, tag or short hash can be moved or collide; pin `@<40-hex commit>`.",
                    cwe=(829,), check=_C,
                    supersedes=("missing-hash", "cannot-audit", "sbom-component-unpinned"))
URL_NO_HASH = Rule("MLW304", "url-no-hash", Severity.HIGH, "Direct URL requirement without a hash",
                   "The file behind a URL can change; add `#sha256=<hex>` or `--hash`.", cwe=(494,), check=_C,
                   supersedes=("missing-hash", "cannot-audit"))
INSECURE_TRANSPORT = Rule("MLW305", "insecure-transport", Severity.HIGH,
                          "Plain-text transport (http, git, svn)",
                          "Anyone on the network path can swap packages fetched over http://, git:// or "
                          "svn://; use https.", cwe=(319, 494), check=_C)
EXTRA_INDEX_URL = Rule("MLW306", "extra-index-url", Severity.HIGH,
                       "--extra-index-url (dependency confusion)",
                       "pip merges all indexes and picks the highest version from any of them, so a public "
                       "package with an internal name wins (torchtriton, 2022). Use one index that proxies "
                       "the others, or pin the package to an index (uv `[tool.uv.sources]`), or list the "
                       "index in `trusted-indexes`.", cwe=(427, 829), check=_C)
INDEX_URL = Rule("MLW307", "index-url", Severity.MEDIUM, "Non-default --index-url",
                 "Everything will be installed from this index; make sure it is trusted and uses https.",
                 cwe=(829,), check=_C)
TRUSTED_HOST = Rule("MLW308", "trusted-host", Severity.HIGH, "--trusted-host disables TLS verification",
                    "pip skips certificate checks (and allows http) for this host; remove it and fix the "
                    "certificate.", cwe=(295,), check=_C)
FIND_LINKS = Rule("MLW309", "find-links", Severity.MEDIUM, "--find-links adds a package source",
                  "Files found in a --find-links location compete with the index; prefer hashes and https.",
                  cwe=(829,), check=_C)
INVALID_LINE = Rule("MLW310", "invalid-line", Severity.HIGH, "Line pip would reject",
                    "pip refuses this line, so the install fails or silently differs from what you meant.",
                    check=_C)
DUPLICATE_NAME = Rule("MLW311", "duplicate-name", Severity.MEDIUM, "Package listed twice",
                      "The same package appears twice under the same marker; pip errors or picks one.",
                      check=_C, role_severity=(("library", Severity.INFO),))  # metadata merges ranges
EDITABLE = Rule("MLW312", "editable", Severity.MEDIUM, "Editable install (-e)",
                "Editable installs are not pinned and cannot carry hashes; use them in development only.",
                cwe=(829,), check=_C, supersedes=("missing-hash", "cannot-audit", "sbom-component-unpinned"))
LOCAL_PATH = Rule("MLW313", "local-path", Severity.LOW, "Local path requirement",
                  "A local path is whatever the directory holds at install time; pin a built artifact with a "
                  "hash for reproducible installs.", check=_C,
                  supersedes=("missing-hash", "cannot-audit", "sbom-component-unpinned"))
CONDA_UNPINNED = Rule("MLW314", "conda-unpinned", Severity.HIGH, "Conda package not pinned",
                      "Pin conda packages with `name=VERSION=BUILD` or `name==VERSION`.", cwe=(1357,),
                      check=_C)
CONDA_FUZZY_PIN = Rule("MLW315", "conda-fuzzy-pin", Severity.MEDIUM, "Conda `name=1.2` matches 1.2.*",
                       "In conda, a single `=` is a prefix match; use `==1.2.3` or `=1.2.3=build`.", check=_C)
EXTRA_INDEX = Rule("MLW316", "extra-index", Severity.HIGH, "Extra package index in project or lock config",
                   "A second index lets a public package shadow a private one (dependency confusion); "
                   "pin packages to it explicitly (uv `explicit = true` + `[tool.uv.sources]`, poetry "
                   "`priority = \"explicit\"`) or trust it in config.", cwe=(427, 829), check=_C)
LOCK_NO_HASH = Rule("MLW317", "lock-no-hash", Severity.HIGH, "Lock entry without any hashed artifact",
                    "The lock file records no hash for this package, so an installer cannot verify it.",
                    cwe=(494, 353), check=_C)
LOCK_FOREIGN_REGISTRY = Rule("MLW318", "lock-foreign-registry", Severity.MEDIUM,
                             "Lock entry from a registry other than the default one",
                             "This package comes from a different index than the rest; check it is the one "
                             "you meant (dependency confusion).", cwe=(427,), check=_C)
LOCK_GIT_NO_COMMIT = Rule("MLW319", "lock-git-no-commit", Severity.HIGH, "Locked git source without a commit",
                          "A git dependency in a lock file must record the resolved 40-hex commit.",
                          cwe=(829,), check=_C)
SSL_VERIFY_DISABLED = Rule("MLW320", "ssl-verify-disabled", Severity.HIGH, "Index with TLS verification off",
                           "`verify_ssl = false` lets anyone on the path serve packages; set it to true.",
                           cwe=(295,), check=_C)

RULES = (UNPINNED, MISSING_HASH, VCS_UNPINNED, URL_NO_HASH, INSECURE_TRANSPORT, EXTRA_INDEX_URL, INDEX_URL,
         TRUSTED_HOST, FIND_LINKS, INVALID_LINE, DUPLICATE_NAME, EDITABLE, LOCAL_PATH, CONDA_UNPINNED,
         CONDA_FUZZY_PIN, EXTRA_INDEX, LOCK_NO_HASH, LOCK_FOREIGN_REGISTRY, LOCK_GIT_NO_COMMIT,
         SSL_VERIFY_DISABLED)
