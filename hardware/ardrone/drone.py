"""``ArdroneDrone``: an AR.Drone 2.0 (or its loopback emulator) as a ``Flyer`` embodiment.

The agent loop runs at ``control_hz`` on the wall clock: ``act`` turns the body-velocity command
into PCMD fractions (``VelocityToPcmd``), hands it to the link's 30 Hz AT thread and returns when the
control period is over. ``observe`` returns the newest decoded front-camera frame (centre-cropped to
the camera's aspect ratio and resized), the dead-reckoned state and the events since the last call:
the link's safety transitions, the drone's state changes and, with the emulator, the simulator's
collisions (ground truth for the run folder; a real drone has no collision sensor).

Faults stop the mission: once the link has latched a landing (navdata lost, battery low), the state
estimate is not finite, or video has been silent for ``video_timeout_s`` in flight, ``act`` raises
``LinkLostError`` and the runner takes over (hover, land, finalise the run folder).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np

from plansight.agent.contracts import CameraModel, DroneCommand, Event, Observation
from plansight.agent.shared.polling import wait_until
from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.config_ardrone import ArdroneConfig, PortsConfig
from plansight.hardware.ardrone.link import HOVER, ArdroneLink, LinkError
from plansight.hardware.ardrone.odometry import NavdataOdometry
from plansight.hardware.ardrone.velocity import VelocityToPcmd

log = logging.getLogger(__name__)

FRONT_CAMERA = "front"
_VIDEO_TIMEOUT_S = 1.0


class LinkLostError(RuntimeError):
    """The bridge put the drone in a safe state on its own; the mission must stop."""


class ArdroneDrone:
    """See the module docstring. ``host: null`` in the config starts a loopback emulator."""

    def __init__(self, cfg: ArdroneConfig | None = None) -> None:
        self.cfg = cfg or ArdroneConfig()
        c = self.cfg.camera
        T = CameraModel.forward_pose(c.forward_offset_m, 0.0, 0.02)
        self._cameras = {FRONT_CAMERA: CameraModel.from_fovy(FRONT_CAMERA, c.width, c.height, c.fovy_deg,
                                                             T_body_cam=T)}
        self._velocity = VelocityToPcmd(self.cfg.velocity, self.cfg.limits)
        self._odometry = NavdataOdometry()
        self._events: list[Event] = []
        self._events_lock = threading.Lock()
        self._link: ArdroneLink | None = None
        self.emulator = None
        self._t0 = time.monotonic()
        self._next_tick = 0.0
        self._fault: str | None = None
        self._airborne_cmd = False
        self._final_link_stats: dict = {}
        self._flight_window: list[float] = []  # perf_counter at take-off done and at landing start

    # ------------------------------------------------------------------ Embodiment
    @property
    def cameras(self) -> Mapping[str, CameraModel]:
        return self._cameras

    @property
    def dt(self) -> float:
        return 1.0 / self.cfg.control_hz

    @property
    def link(self) -> ArdroneLink:
        if self._link is None:
            raise RuntimeError("call reset() first")
        return self._link

    def reset(self, seed: int | None = None) -> Observation:
        """Connect (starting the emulator with room ``seed`` when ``host`` is null), leave bootstrap,
        write the limits, flat-trim on the ground. Raises ``LinkError`` with what to check."""
        self.close()
        self._fault = None
        host, ports, info = self._target(seed or 0)
        self._t0 = time.monotonic()
        self._events = [Event(0.0, "reset", {"host": host, "seed": seed})]
        self._link = ArdroneLink(host, ports, self.cfg.link, self.cfg.safety, on_event=self._emit)
        self._link.add_navdata_listener(self._odometry.update)
        self._link.connect()
        for key, value in self.cfg.limits.as_config_keys().items():
            self._link.configure(key, value)
        demo = self._link.last_demo
        if demo is not None and demo.ctrl_state == nd.CTRL_LANDED:
            self._link.flat_trim()
        if self._link.navdata is not None and self._link.navdata.has(nd.STATE_EMERGENCY):
            raise LinkError("drone reports EMERGENCY: inspect it, then clear it (REF emergency toggle) before flying")
        if self.cfg.link.video:
            self._wait_for(lambda: self._link.frame is not None, self.cfg.link.connect_timeout_s, "first video frame")
        self._next_tick = time.monotonic()
        return self._observation(info)

    def _target(self, seed: int) -> tuple[str, PortsConfig, dict]:
        if self.cfg.host is not None:
            xy = self.cfg.start_xy_m or (0.0, 0.0)
            self._odometry.reset(xy, self.cfg.start_yaw_rad)
            return self.cfg.host, self.cfg.ports, {}
        from plansight.hardware.ardrone.emulator import ArdroneEmulator  # MuJoCo only for the loopback drone

        self.emulator = ArdroneEmulator(self.cfg.emulator, "127.0.0.1")
        p = self.emulator.start(seed)
        truth, _ = self.emulator.truth()
        self._odometry.reset((float(truth.position[0]), float(truth.position[1])), float(truth.rpy[2]))
        info = {"room": self.emulator.room} if self.emulator.room is not None else {}
        return "127.0.0.1", PortsConfig(at=p.at, navdata=p.navdata, video=p.video, control=p.control), info

    def observe(self) -> Observation:
        return self._observation()

    def act(self, command: DroneCommand) -> DroneCommand:
        """Send ``command`` (body FLU, m/s, rad/s) for one control period (wall clock)."""
        link = self.link
        self._check_faults()
        applied = command
        if not command.is_finite():
            self._emit("nonfinite_command", {"command": [repr(x) for x in command.as_array()]})
            applied = DroneCommand.hover()
        pcmd = self._velocity(applied, self._odometry.velocity_body(), self.dt)
        link.set_pcmd(pcmd)
        self._sleep_to_next_tick()
        return applied

    def takeoff(self) -> bool:
        """REF take-off, held until navdata shows hovering or flying. False on timeout or emergency."""
        link = self.link
        if link.latched_land is not None:
            return False
        if not self._wait_for(lambda: link.navdata_age() < self.cfg.safety.hover_after_s, 2.0, "fresh navdata"):
            return False  # never take off blind
        link.set_pcmd(HOVER)
        link.set_flying(True)
        self._airborne_cmd = True
        ok = self._wait_for(lambda: self._ctrl_state() in (nd.CTRL_HOVERING, nd.CTRL_FLYING),
                            self.cfg.takeoff_timeout_s, "take-off", keepalive=True)
        self._velocity.reset()
        self._next_tick = time.monotonic()
        if ok:
            self._flight_window = [time.perf_counter()]
        return ok

    def land(self) -> bool:
        """REF land, held until navdata shows landed. A drone that never answered (no navdata since connecting)
        was never reached: nothing to land, said at once (event ``never_reached``) instead of waiting
        ``land_timeout_s`` for it."""
        if self._link is not None and self._link.navdata is None:
            self._emit("never_reached", {"host": self._link.host, "detail": "no navdata since connecting: the "
                                         "drone was never reached, so it was not flown and there is nothing to land"})
            return False
        link = self.link
        if len(self._flight_window) == 1:
            self._flight_window.append(time.perf_counter())
        link.set_pcmd(HOVER)
        link.set_flying(False)
        self._airborne_cmd = False
        return self._wait_for(lambda: self._ctrl_state() == nd.CTRL_LANDED, self.cfg.land_timeout_s, "landing",
                              keepalive=True)

    def emergency(self) -> None:
        self.link.emergency()
        self._emit("emergency", {})

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._final_link_stats = link_figures(self._link, *self._flight_window)
            if self.emulator is not None:  # how far dead reckoning drifted from the simulator's truth
                truth, _ = self.emulator.truth()
                est = self._odometry.state()
                self._final_link_stats["odometry_error_m"] = round(
                    float(np.linalg.norm(est.position[:2] - truth.position[:2])), 3)
            self._link = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    # ------------------------------------------------------------------ run participant
    def start_run(self, run_dir: Path) -> None:
        pass

    def drain_events(self) -> list[Event]:
        return []  # events arrive with observations

    def finish_run(self, run_dir: Path) -> dict:
        """Link quality of this run for metrics.json: AT period and jitter, packet and frame counts."""
        figures = link_figures(self._link, *self._flight_window) if self._link is not None else self._final_link_stats
        return {"metrics": {"link": figures}, "files": {}}

    # ------------------------------------------------------------------ internals
    def _ctrl_state(self) -> int | None:
        demo = self.link.last_demo
        return None if demo is None else demo.ctrl_state

    def _wait_for(self, cond, timeout: float, what: str, keepalive: bool = False) -> bool:
        # keepalive: keep the command fresh so the stale-command rule stays quiet
        ok = wait_until(cond, timeout, 0.01, on_poll=(lambda: self.link.set_pcmd(HOVER)) if keepalive else None)
        if not ok:
            self._emit("timeout", {"waiting_for": what, "timeout_s": timeout})
        return ok

    def _check_faults(self) -> None:
        link = self.link
        if self._fault is None and link.latched_land is not None:
            self._fault = link.latched_land
        if (self._fault is None and self.cfg.link.video and self._airborne_cmd
                and link.frame_age() > _VIDEO_TIMEOUT_S):
            self._fault = f"no video for {link.frame_age():.1f} s"
            link.latch_land(self._fault)
        if self._fault is None and self._airborne_cmd and not np.all(np.isfinite(self._odometry.state().to_vector())):
            self._fault = "non-finite state estimate"  # the navdata filters make this unreachable; hold anyway
            link.latch_land(self._fault)
        if self._fault is not None:
            raise LinkLostError(f"AR.Drone bridge: {self._fault}; landing")

    def _sleep_to_next_tick(self) -> None:
        self._next_tick += self.dt
        delay = self._next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -self.dt:
            self._next_tick = time.monotonic()  # running late: do not try to catch up with a burst

    def _emit(self, kind: str, data: dict) -> None:
        with self._events_lock:
            self._events.append(Event(time.monotonic() - self._t0, kind, data))

    def _frame(self) -> np.ndarray:
        c = self.cfg.camera
        frame = self._link.frame if self._link is not None else None
        if frame is None:
            return np.zeros((c.height, c.width, 3), np.uint8)
        h, w = frame.shape[:2]
        target = c.width / c.height
        if w / h > target:  # wider than wanted: crop the sides
            cw = round(h * target)
            frame = frame[:, (w - cw) // 2:(w - cw) // 2 + cw]
        elif w / h < target:
            ch = round(w / target)
            frame = frame[(h - ch) // 2:(h - ch) // 2 + ch]
        if frame.shape[:2] != (c.height, c.width):
            frame = cv2.resize(frame, (c.width, c.height), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(frame)

    def _observation(self, info: dict | None = None) -> Observation:
        state = self._odometry.state()
        info = dict(info or {})
        link = self._link
        if link is not None:
            demo = link.last_demo
            info.update(navdata_age_s=round(link.navdata_age(), 3), video_age_s=round(link.frame_age(), 3),
                        battery_pct=None if demo is None else demo.battery_pct,
                        ctrl_state=None if demo is None else nd.CTRL_NAMES.get(demo.ctrl_state))
        if self.emulator is not None:
            truth, sim_events = self.emulator.truth()
            info["true_position"] = [round(float(x), 3) for x in truth.position]
            for e in sim_events:
                if e.kind == "collision":
                    self._emit("collision", {**e.data, "source": "emulator"})
        with self._events_lock:
            events, self._events = tuple(self._events), []
        t = time.monotonic() - self._t0
        return Observation(t=t, images={FRONT_CAMERA: self._frame()}, state=state.to_vector(), depth={},
                           events=events, info=info)


def link_figures(link: ArdroneLink, since: float = -np.inf, until: float = np.inf) -> dict:
    """AT-loop timing in flight (between ``since`` and ``until``, perf_counter seconds; ms: median period,
    median and p99 of |period − nominal|) and the link's counters for the whole connection."""
    t = np.asarray(link.send_times)
    periods = np.diff(t[(t >= since) & (t <= until)]) * 1000.0
    out: dict = {"at_hz": link.cfg.at_hz, **link.stats}
    if len(periods):
        jitter = np.abs(periods - 1000.0 / link.cfg.at_hz)
        out.update(at_period_ms_median=round(float(np.median(periods)), 3),
                   at_jitter_ms_median=round(float(np.median(jitter)), 3),
                   at_jitter_ms_p99=round(float(np.percentile(jitter, 99)), 3), at_ticks=int(len(periods) + 1))
    return out
