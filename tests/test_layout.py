"""The package layout: ``plansight.*`` imports only, and ARCHITECTURE.md's dependency rule.

The rule, as enforced here (every import statement of every module, at any depth, including imports inside
functions):

* ``plansight.launch`` may import everything.
* ``plansight.agent`` imports only ``plansight.agent``.
* ``plansight.sim`` and ``plansight.hardware`` import from ``plansight.agent`` only ``SHARED``: the contracts and
  ``agent/shared/`` (helpers on the standard library, numpy and pydantic: atomic writes and JSON lines, one-line
  validation errors, integer ranges, polling), and nothing from ``plansight.launch``.
* ``plansight.agent.contracts`` and ``plansight.agent.shared`` import no other plansight module.
* ``plansight.sim`` does not import ``plansight.hardware``. ``plansight.hardware`` imports ``plansight.sim.drone``
  only in the AR.Drone emulator's modules (``EMULATOR``): it emulates a drone on our physics.
* No module anywhere imports the folders by their old top-level names (``agent``, ``sim``, ``hardware``,
  ``launch``): installed, they exist only as ``plansight.<folder>``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "sim", "hardware", "launch")
SHARED = ("plansight.agent.contracts", "plansight.agent.shared")
EMULATOR = ("plansight.hardware.ardrone.emulator", "plansight.hardware.ardrone.firmware",
            "plansight.hardware.ardrone.config_ardrone")


def _modules() -> list[tuple[str, Path]]:
    out = []
    for pkg in PACKAGES:
        for p in sorted((REPO / pkg).rglob("*.py")):
            rel = p.relative_to(REPO).with_suffix("")
            parts = [x for x in rel.parts if x != "__init__"]
            out.append(("plansight." + ".".join(parts), p))
    return out


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names if node.module == "plansight"]
    return found


def allowed(importer: str, imported: str) -> bool:
    """Whether module ``importer`` may import ``imported`` under the dependency rule."""
    if imported.split(".")[0] in PACKAGES:
        return False  # the old top-level names
    if not imported.startswith("plansight."):
        return True  # the standard library and third-party packages
    src, dst = importer.split(".")[1], imported.split(".")[1]
    if any(importer == s or importer.startswith(s + ".") for s in SHARED):
        return any(imported == s or imported.startswith(s + ".") for s in SHARED)
    if src == "launch" or src == dst:
        return True
    if src == "agent":
        return False
    if dst == "agent":
        return any(imported == s or imported.startswith(s + ".") for s in SHARED)
    if src == "hardware" and dst == "sim":
        return importer in EMULATOR and imported.startswith("plansight.sim.drone")
    return False


def test_every_import_follows_the_dependency_rule():
    bad = [f"{path.relative_to(REPO)}:{line}: {mod} imports {imp}"
           for mod, path in _modules() for line, imp in _imports(path) if not allowed(mod, imp)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("importer", "imported", "ok"), [
    ("plansight.agent.planning.executor", "plansight.sim.metaworld.arm_sim", False),
    ("plansight.agent.planning.executor", "plansight.agent.contracts", True),
    ("plansight.sim.metaworld.dataset", "plansight.agent.shared.atomic", True),
    ("plansight.agent.shared.errors", "plansight.agent.planning.rigid", False),
    ("plansight.agent.contracts", "plansight.agent.shared.atomic", True),
    ("plansight.sim.metaworld.dataset", "plansight.agent.learning.checkpoint", False),
    ("plansight.sim.drone.env", "plansight.launch.registry", False),
    ("plansight.sim.drone.env", "plansight.hardware.ardrone.at", False),
    ("plansight.hardware.ardrone.link", "plansight.sim.drone.model", False),
    ("plansight.hardware.ardrone.emulator", "plansight.sim.drone.model", True),
    ("plansight.launch.cli", "plansight.sim.drone.model", True),
    ("plansight.launch.cli", "agent.contracts", False),
])
def test_the_rule_itself(importer, imported, ok):
    assert allowed(importer, imported) is ok


def test_installed_namespace(tmp_path):
    """Outside the repository only ``plansight.*`` exists: ``import launch`` (ROS 2's name) is not ours."""
    code = ("import importlib.util, plansight.agent.contracts, plansight.launch.cli\n"
            "missing = [m for m in ('launch', 'agent', 'sim', 'hardware') if importlib.util.find_spec(m)]\n"
            "print(missing)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
    r = subprocess.run([sys.executable, "-c", "import launch"], cwd=tmp_path, capture_output=True, text=True)
    assert "ModuleNotFoundError" in r.stderr
