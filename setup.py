"""Packaging: the folders agent/, sim/, hardware/ and launch/ install as ``plansight.<folder>``.

Metadata and dependencies live in pyproject.toml; only the package list, which setuptools cannot derive
for a folder-to-namespace mapping from pyproject alone, is computed here. ``plansight`` itself is a namespace
package (no ``__init__.py``), so nothing named ``agent``, ``sim``, ``hardware`` or ``launch`` reaches
site-packages (ROS 2 has its own ``launch``).
"""

from setuptools import find_packages, setup

TOP_LEVEL = ("agent", "sim", "hardware", "launch")

packages = find_packages(include=[*TOP_LEVEL, *(f"{t}.*" for t in TOP_LEVEL)])
setup(packages=[f"plansight.{p}" for p in packages], package_dir={f"plansight.{t}": t for t in TOP_LEVEL})
