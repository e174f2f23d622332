"""The wheel ships the repository's top-level migrations/ as the package `app.migrations`.

Everything else is declared in setup.cfg; setup.cfg cannot map one folder into another package.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(exclude=["tests*", "migrations*", "bench*"]),
        "app.migrations",
        "app.migrations.versions",
    ],
    package_dir={"app.migrations": "migrations"},
)
