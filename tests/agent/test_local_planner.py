"""The local planner (agent/control/local_planner.py) on synthetic depth of known 2-D scenes, open loop and
closed loop on a kinematic point flyer."""

import math

import numpy as np
import pytest

from plansight.agent.contracts import CameraModel, DepthEstimate, DroneState, Observation
from plansight.agent.control.avoidance import AvoidanceConfig, ReactiveAvoidance
from plansight.agent.control.local_planner import LocalPlannerConfig, PolarHistogramPlanner

CAM = CameraModel.from_fovy("left", 128, 96, 60.0, T_body_cam=CameraModel.forward_pose(0.12, 0.0, 0.0),
                            baseline_m=0.1, stereo_partner="right")
FAR = 8.0


def _wall(x0, y0, x1, y1):
    return np.array([x0, y0, x1, y1], float)


def render(walls, x, y, yaw):
    """Planar depth (m) of the camera at body pose (x, y, yaw) among vertical ``walls`` (2-D segments), every row
    the same (the band rows see the walls; the others are out of the planner's height band anyway)."""
    cx, cy = x + 0.12 * math.cos(yaw), y + 0.12 * math.sin(yaw)
    cols = np.arange(CAM.width)
    bearing = np.arctan2(-(cols - CAM.cx) / CAM.fx, 1.0)
    d = np.stack([np.cos(yaw + bearing), np.sin(yaw + bearing)], 1)  # W×2 ray directions
    rng = np.full(CAM.width, FAR)
    for w in walls:
        p, e = w[:2], w[2:] - w[:2]
        # solve c + t d = p + s e
        den = d[:, 0] * (-e[1]) - d[:, 1] * (-e[0])
        ok = np.abs(den) > 1e-12
        rx, ry = p[0] - cx, p[1] - cy
        t = np.where(ok, (rx * (-e[1]) - ry * (-e[0])) / np.where(ok, den, 1), np.inf)
        s = np.where(ok, (d[:, 0] * ry - d[:, 1] * rx) / np.where(ok, den, 1), -1)
        hit = ok & (t > 0) & (s >= 0) & (s <= 1)
        rng = np.where(hit, np.minimum(rng, t), rng)
    z = (rng * np.cos(bearing)).astype(np.float32)
    depth = np.repeat(z[None, :], CAM.height, axis=0)
    return DepthEstimate("left", depth, np.ones_like(depth, bool))


def _obs(t, x, y, yaw):
    s = DroneState(np.array([x, y, 1.0]), np.zeros(3), np.array([0.0, 0.0, yaw]), np.zeros(3), 1.0)
    return Observation(t=t, images={}, state=s.to_vector())


def _dist_to_walls(walls, x, y):
    out = math.inf
    for w in walls:
        p, e = w[:2], w[2:] - w[:2]
        s = np.clip(np.dot([x - p[0], y - p[1]], e) / np.dot(e, e), 0, 1)
        out = min(out, math.hypot(x - p[0] - s * e[0], y - p[1] - s * e[1]))
    return out


def fly(walls, steps, x=0.0, y=0.0, yaw=0.0, dt=0.05, policy=None):
    """Closed loop on a kinematic flyer that follows the command exactly; the pose and command per step."""
    policy = policy or ReactiveAvoidance(AvoidanceConfig(mode="planner"), CAM)
    policy.reset()
    trace = []
    for k in range(steps):
        cmd = policy.act(_obs(k * dt, x, y, yaw), render(walls, x, y, yaw))
        x += (cmd.vx * math.cos(yaw) - cmd.vy * math.sin(yaw)) * dt
        y += (cmd.vx * math.sin(yaw) + cmd.vy * math.cos(yaw)) * dt
        yaw = (yaw + cmd.yaw_rate * dt + math.pi) % (2 * math.pi) - math.pi
        trace.append((x, y, yaw, cmd.vx, cmd.yaw_rate))
    return trace


def _wall_with_gap(gap_y, gap_w, at_x=1.5):
    return [_wall(at_x, -4.0, at_x, gap_y - gap_w / 2), _wall(at_x, gap_y + gap_w / 2, at_x, 4.0)]


@pytest.mark.parametrize("gap_y", [0.45, -0.45])
def test_heads_for_the_one_gap_in_a_wall(gap_y):
    planner = PolarHistogramPlanner(LocalPlannerConfig(), CAM)
    walls = _wall_with_gap(gap_y, 0.7)
    cmd = planner.plan(_obs(0.0, 0.0, 0.0, 0.0), render(walls, 0.0, 0.0, 0.0))
    gap_bearing = math.atan2(gap_y, 1.5)
    assert math.copysign(1, cmd.yaw_rate) == math.copysign(1, gap_y)
    assert abs(planner.last["heading_rad"] - gap_bearing) < math.radians(8)


def test_flies_through_the_gap_closed_loop():
    walls = _wall_with_gap(0.5, 0.65)
    trace = fly(walls, 120)
    assert trace[-1][0] > 2.0  # through the wall
    assert min(_dist_to_walls(walls, x, y) for x, y, *_ in trace) > LocalPlannerConfig().airframe_radius_m


@pytest.mark.parametrize(("gap_w", "through"), [(0.35, False), (0.6, True)])
def test_free_range_goes_through_a_gap_only_if_the_airframe_fits(gap_w, through):
    planner = PolarHistogramPlanner(LocalPlannerConfig(), CAM)
    pts, _ = planner.column_points(render(_wall_with_gap(0.3, gap_w, at_x=1.5), 0.0, 0.0, 0.0))
    free = planner.free_ranges(pts[np.isfinite(pts[:, 0])], planner.cfg.airframe_radius_m + planner.cfg.margin_m)
    best = free[np.abs(planner.headings - math.atan2(0.3, 1.5)) < math.radians(6)].max()
    assert (best > 2.0) == through


def test_turns_back_out_of_a_dead_end():
    # a cul-de-sac 1.1 m wide, closed 1.0 m ahead, open behind
    walls = [_wall(-3.0, 0.55, 1.0, 0.55), _wall(-3.0, -0.55, 1.0, -0.55), _wall(1.0, -0.55, 1.0, 0.55)]
    trace = fly(walls, 200)
    assert min(_dist_to_walls(walls, x, y) for x, y, *_ in trace) > LocalPlannerConfig().airframe_radius_m
    assert any(abs(yaw) > math.radians(150) for _, _, yaw, *_ in trace)  # it faced the way out
    assert trace[-1][0] < -0.5  # and flew out


def test_commits_to_one_side_at_a_symmetric_t_junction():
    # a corridor 1.2 m wide along +x, ending in a wall at x = 2.4 with branches both ways: left and right are
    # exactly as good, so only hysteresis picks one
    walls = [_wall(-2.0, 0.6, 1.4, 0.6), _wall(-2.0, -0.6, 1.4, -0.6), _wall(2.4, -4.0, 2.4, 4.0),
             _wall(1.4, 0.6, 1.4, 4.0), _wall(1.4, -0.6, 1.4, -4.0)]
    trace = fly(walls, 160)
    rates = [r for *_, r in trace if abs(r) > 1e-3]
    flips = sum(a * b < 0 for a, b in zip(rates, rates[1:], strict=False))
    assert flips <= 2
    assert min(_dist_to_walls(walls, x, y) for x, y, *_ in trace) > LocalPlannerConfig().airframe_radius_m
    assert abs(trace[-1][1]) > 1.0  # it went into a branch


def test_straight_corridor_flies_straight_without_weaving():
    walls = [_wall(-2.0, 0.6, 8.0, 0.6), _wall(-2.0, -0.6, 8.0, -0.6)]
    trace = fly(walls, 100, y=0.1, yaw=0.1)
    rates = [r for *_, r in trace if abs(r) > 1e-3]
    assert sum(a * b < 0 for a, b in zip(rates, rates[1:], strict=False)) <= 2
    assert trace[-1][0] > 2.5 and abs(trace[-1][2]) < 0.15


def test_unchanged_depth_without_state_still_plans():
    planner = PolarHistogramPlanner(LocalPlannerConfig(), CAM)
    est = render(_wall_with_gap(0.45, 0.7), 0.0, 0.0, 0.0)
    cmd = planner.plan(Observation(t=0.0, images={}, state=np.zeros(0)), est)
    assert cmd.yaw_rate > 0


def test_shared_settings_belong_at_the_top():
    with pytest.raises(ValueError, match="max_speed_mps"):
        AvoidanceConfig(planner={"max_speed_mps": 0.5})
    pol = ReactiveAvoidance(AvoidanceConfig(mode="planner", max_speed_mps=0.5), CAM)
    assert pol.planner.cfg.max_speed_mps == 0.5
    assert ReactiveAvoidance(AvoidanceConfig(), CAM).planner is None  # the reactive rule stays the default


def test_both_are_drone_policies():
    from plansight.agent.contracts import DronePolicy

    assert isinstance(ReactiveAvoidance(AvoidanceConfig(mode="planner"), CAM), DronePolicy)
    assert isinstance(PolarHistogramPlanner(LocalPlannerConfig(), CAM), DronePolicy)
    with pytest.raises(ValueError, match="turn_stop_deg"):
        LocalPlannerConfig(turn_full_deg=50.0, turn_stop_deg=40.0)
