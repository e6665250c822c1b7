"""Which depth cue flies the drone: stereo, the learned monocular network, or mono with stereo as
"training wheels" (van Hecke et al., persistent self-supervised learning).

Strategies:

* ``stereo``: always stereo (mono learns in the background).
* ``mono``: always mono, no safety net (shows the feedback-induced data bias).
* ``persistent``: mono flies; stereo **overrides** when it sees an imminent collision that mono
  missed: stereo's free distance ahead is below ``imminent_m`` while mono's is at least
  ``missed_margin_m`` larger. An override keeps stereo in control for ``override_hold_s`` and is
  counted once (rising edge). The paper's code accumulates stereo's excess over its threshold and
  overrides when the sum passes 5 LONGSEC units; the hold time plays the same de-bouncing role in
  metric units.
* ``auto``: start on stereo; switch to mono (with training wheels) once mono's AbsRel against
  stereo, averaged over the last ``window`` frames, is below ``to_mono_abs_rel`` and the learner
  has done ``min_train_steps``; fall back to stereo when that average rises above
  ``back_to_stereo_abs_rel`` (hysteresis between the two thresholds).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Cue = Literal["stereo", "mono"]


class SwitchConfig(BaseModel):
    """Thresholds in metres, seconds and AbsRel fractions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Literal["stereo", "mono", "persistent", "auto"] = "persistent"
    imminent_m: float = Field(1.0, gt=0.0, description="stereo free distance that means collision is near")
    missed_margin_m: float = Field(0.4, ge=0.0, description="mono 'missed' it if it sees this much more room")
    override_hold_s: float = Field(0.6, ge=0.0)
    window: int = Field(50, ge=1, description="auto: frames in the error average")
    to_mono_abs_rel: float = Field(0.15, gt=0.0)
    back_to_stereo_abs_rel: float = Field(0.25, gt=0.0)
    min_train_steps: int = Field(300, ge=0)

    @model_validator(mode="after")
    def _hysteresis(self) -> SwitchConfig:
        if self.back_to_stereo_abs_rel <= self.to_mono_abs_rel:
            raise ValueError("back_to_stereo_abs_rel must exceed to_mono_abs_rel (hysteresis)")
        return self


@dataclass(frozen=True)
class Decision:
    """What flew this frame. ``override_started`` marks the first frame of a stereo override."""

    cue: Cue
    phase: Cue
    override: bool
    override_started: bool
    switched_to: Cue | None = None


class CueSwitch:
    """Stateful selector; call ``decide`` once per frame."""

    def __init__(self, cfg: SwitchConfig) -> None:
        self.cfg = cfg
        self.reset()

    def reset(self) -> None:
        self.phase: Cue = "stereo" if self.cfg.strategy in ("stereo", "auto") else "mono"
        self.overrides = 0
        self._override_until = -1.0
        self._errors: deque[float] = deque(maxlen=self.cfg.window)
        self.timeline: list[tuple[float, Cue, bool, bool]] = []  # t, cue, override, override started

    @property
    def recent_mono_abs_rel(self) -> float | None:
        return sum(self._errors) / len(self._errors) if self._errors else None

    def decide(self, t: float, stereo_free_m: float, mono_free_m: float, mono_abs_rel: float | None,
               train_steps: int) -> Decision:
        """Pick the cue for time ``t`` (s) from both cues' free distance ahead (m) and mono's AbsRel
        against stereo on this frame (None when stereo had too few valid pixels)."""
        c = self.cfg
        if mono_abs_rel is not None:
            self._errors.append(mono_abs_rel)
        switched: Cue | None = None
        if c.strategy == "auto" and len(self._errors) == self._errors.maxlen:
            err = self.recent_mono_abs_rel
            if self.phase == "stereo" and err < c.to_mono_abs_rel and train_steps >= c.min_train_steps:
                self.phase = switched = "mono"
            elif self.phase == "mono" and err > c.back_to_stereo_abs_rel:
                self.phase = switched = "stereo"
        started = False
        if self.phase == "mono" and c.strategy in ("persistent", "auto"):
            if stereo_free_m < c.imminent_m and mono_free_m >= stereo_free_m + c.missed_margin_m:
                started = t > self._override_until
                self.overrides += int(started)
                self._override_until = t + c.override_hold_s
        override = self.phase == "mono" and t <= self._override_until
        cue: Cue = "stereo" if override else self.phase
        self.timeline.append((t, cue, override, started))
        return Decision(cue, self.phase, override, started, switched)
