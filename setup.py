"""Package layout only (everything else is in pyproject.toml): the library lives in src/, the thin hook
entry points in hooks/ are installed as the package ``mlwarden_hooks``."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("src"), "mlwarden_hooks"],
    package_dir={"": "src", "mlwarden_hooks": "hooks"},
)
