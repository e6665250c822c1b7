"""Models that ship with plansight, by name: ``builtin:<name>`` works wherever a checkpoint is asked for, from any
folder (the files are package data of the installed distribution).

* ``builtin:video_mw_64x48``: the video diffusion planner (a folder, ``launch/models/video_mw_64x48``).
* ``builtin:mono_depth_room``: the mono depth network (``agent/perception/weights/mono_depth_room.safetensors``).
* ``builtin:rl_hover_ppo``, ``builtin:rl_waypoint_ppo``: PPO drone policies (folders: ``model.zip``, ``config.json``).
* ``builtin:act_jepa_mw_96x72``, ``builtin:act_mw_96x72``, ``builtin:act_jepa_mw15_96x72``: the Meta-World ACT-JEPA
  policy, its ACT baseline (the 11 AVDC tasks) and ACT-JEPA on its paper's 15 tasks
  (folders: ``model.safetensors``, ``config.json``).
* ``builtin:critic_mw_64x48``: the plan critic of ``video_mw_64x48``'s plans (``plansight train critic``; a folder:
  ``model.safetensors``, ``config.json``).
"""

from __future__ import annotations

from pathlib import Path

PREFIX = "builtin:"
_ROOT = Path(__file__).resolve().parents[2]  # the folder holding agent/, launch/ (repository or site-packages)
_PLACES = ((_ROOT / "launch" / "models", ""), (_ROOT / "agent" / "perception" / "weights", ".safetensors"))


def builtin_models() -> dict[str, Path]:
    """Every shipped model: name → path."""
    found: dict[str, Path] = {}
    for folder, suffix in _PLACES:
        if folder.is_dir():
            for p in sorted(folder.iterdir()):
                if (p.is_dir() and not suffix and (p / "config.json").is_file()) or (suffix and p.suffix == suffix):
                    found[p.name.removesuffix(suffix)] = p
    return found


def resolve_model(spec: str | Path) -> Path:
    """``builtin:<name>`` → the shipped model's path; anything else → ``Path(spec)``. ``ValueError`` (one line) for
    an unknown built-in name."""
    text = str(spec)
    if not text.startswith(PREFIX):
        return Path(text)
    name = text[len(PREFIX):]
    models = builtin_models()
    if name not in models:
        raise ValueError(f"no built-in model {name!r}; built-in: {', '.join(PREFIX + n for n in models)}")
    return models[name]


def check_weights_file(spec: str) -> str:
    """A config validator for depth weights: ``spec`` (a path or ``builtin:<name>``) must name an existing
    ``.safetensors`` file. Returns ``spec``; ``ValueError`` says what is wrong (checked when a mission is
    validated, not when it flies)."""
    path = resolve_model(spec)
    if path.is_dir():
        raise ValueError(f"{spec} is a folder; depth weights are one .safetensors file")
    if path.suffix != ".safetensors":
        raise ValueError(f"{spec} is not a .safetensors file")
    if not path.is_file():
        raise ValueError(f"{spec}: no such file")
    return spec
