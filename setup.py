"""Package layout only (everything else is in pyproject.toml): the library lives in src/, the thin hook
entry points in hooks/ are installed as the package ``mlwarden_hooks``. Data folders (mlwarden/data/...) are
namespace packages so setuptools ships their files."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages("src", include=["mlwarden*"], exclude=["*.__pycache__"]),
        "mlwarden_hooks",
    ],
    package_dir={"": "src", "mlwarden_hooks": "hooks"},
)
