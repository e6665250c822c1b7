"""MJCF for the quadrotor and its room, built from primitive geoms (no meshes, no asset files).

The airframe follows the per-rotor pattern of MuJoCo Menagerie's Skydio X2: four ``general``
actuators on thrust sites, each applying force ``(0, 0, f)`` and yaw moment ``±k·f`` in the site
frame, with a first-order motor lag (``dyntype="filter"``). Linear drag and rotational damping are
applied by MuJoCo as per-DOF damping of the free joint, so they cost no Python per physics step.

Surfaces get procedural multi-scale noise textures (written into ``MjModel.tex_data`` after
compilation), which gives stereo matching texture at every distance in the room.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from plansight.sim.drone.config_drone import DroneSimConfig
from plansight.sim.drone.room import RoomLayout

LEFT_CAMERA = "left"
RIGHT_CAMERA = "right"
CHASE_CAMERA = "chase"
DRONE_BODY = "quad"
FLOOR_GEOM = "floor"
# Rotor order: front-left, front-right, rear-right, rear-left (body x forward, y left).
ROTOR_SIGNS = ((1, 1), (1, -1), (-1, -1), (-1, 1))
ROTOR_SPIN = (1, -1, 1, -1)  # sign of the yaw moment per unit thrust

_TEXTURES = {  # name: (base RGB, contrast, texels per metre)
    "wall": ((0.75, 0.70, 0.62), 0.55, 128),
    "floor": ((0.45, 0.42, 0.40), 0.60, 128),
    "ceiling": ((0.85, 0.85, 0.88), 0.35, 64),
    "pole": ((0.80, 0.30, 0.20), 0.60, 256),
    "box": ((0.25, 0.45, 0.75), 0.60, 256),
    "box2": ((0.30, 0.65, 0.30), 0.60, 256),
}
_TEX_SIZE = 256


def rotor_positions(arm_m: float) -> np.ndarray:
    """(4, 2) rotor (x, y) positions in the body frame, metres, in ``ROTOR_SIGNS`` order."""
    a = arm_m / math.sqrt(2.0)
    return np.array([(sx * a, sy * a) for sx, sy in ROTOR_SIGNS])


def _quad_xml(cfg: DroneSimConfig, layout: RoomLayout) -> str:
    q, cam = cfg.quad, cfg.camera
    ixx, iyy, izz = q.inertia_kgm2
    rotors = rotor_positions(q.arm_m)
    x0, y0 = layout.start_xy
    parts = [
        f'<body name="{DRONE_BODY}" pos="{x0} {y0} 0.05" euler="0 0 {layout.start_yaw}">',
        '<freejoint name="quad_root"/>',
        f'<inertial pos="0 0 0" mass="{q.mass_kg}" diaginertia="{ixx} {iyy} {izz}"/>',
        '<geom name="quad_hull" type="box" size="0.09 0.05 0.03" rgba="0.9 0.9 0.9 1" mass="0"/>',
        '<geom name="quad_foot" type="box" size="0.1 0.1 0.005" pos="0 0 -0.045" rgba="0.2 0.2 0.2 1" mass="0"/>',
    ]
    for i, (rx, ry) in enumerate(rotors):
        parts.append(f'<geom name="quad_arm{i}" type="capsule" fromto="0 0 0 {rx} {ry} 0" size="0.01" '
                     'rgba="0.2 0.2 0.2 1" mass="0"/>')
        parts.append(f'<geom name="quad_rotor{i}" type="cylinder" pos="{rx} {ry} 0.015" size="0.075 0.005" '
                     'rgba="0.1 0.1 0.1 0.6" mass="0"/>')
        parts.append(f'<site name="thrust{i}" pos="{rx} {ry} 0.02"/>')
    hb = cam.baseline_m / 2
    for name, y in ((LEFT_CAMERA, hb), (RIGHT_CAMERA, -hb)):
        parts.append(f'<camera name="{name}" pos="{cam.forward_offset_m} {y} 0.02" xyaxes="0 -1 0 0 0 1" '
                     f'fovy="{cam.fovy_deg}"/>')
    parts.append(f'<camera name="{CHASE_CAMERA}" mode="trackcom" pos="-1.5 0 1.0" xyaxes="0 -1 0 0.5 0 1" '
                 'fovy="70"/>')
    parts.append("</body>")
    return "\n".join(parts)


def _room_xml(layout: RoomLayout) -> str:
    sx, sy = layout.size
    h = layout.height
    t = 0.05
    parts = [
        f'<geom name="{FLOOR_GEOM}" type="plane" size="{sx / 2} {sy / 2} 0.1" material="mat_floor"/>',
        f'<geom name="wall_px" type="box" pos="{sx / 2 + t} 0 {h / 2}" size="{t} {sy / 2 + 2 * t} {h / 2}" '
        'material="mat_wall"/>',
        f'<geom name="wall_nx" type="box" pos="{-sx / 2 - t} 0 {h / 2}" size="{t} {sy / 2 + 2 * t} {h / 2}" '
        'material="mat_wall"/>',
        f'<geom name="wall_py" type="box" pos="0 {sy / 2 + t} {h / 2}" size="{sx / 2} {t} {h / 2}" '
        'material="mat_wall"/>',
        f'<geom name="wall_ny" type="box" pos="0 {-sy / 2 - t} {h / 2}" size="{sx / 2} {t} {h / 2}" '
        'material="mat_wall"/>',
        f'<geom name="ceiling" type="box" pos="0 0 {h + t}" size="{sx / 2 + 2 * t} {sy / 2 + 2 * t} {t}" '
        'material="mat_ceiling"/>',
        f'<light name="ceiling_light" pos="0 0 {h - 0.05}" dir="0 0 -1" castshadow="false" '
        'diffuse="0.5 0.5 0.5" attenuation="1 0 0"/>',
    ]
    for i, ob in enumerate(layout.obstacles):
        if ob.kind == "pole":
            parts.append(f'<geom name="obstacle{i}" type="cylinder" pos="{ob.x} {ob.y} {ob.height / 2}" '
                         f'size="{ob.size[0]} {ob.height / 2}" material="mat_pole"/>')
        else:
            mat = "mat_box" if i % 2 else "mat_box2"
            parts.append(f'<geom name="obstacle{i}" type="box" pos="{ob.x} {ob.y} {ob.height / 2}" '
                         f'euler="0 0 {ob.yaw}" size="{ob.size[0]} {ob.size[1]} {ob.height / 2}" '
                         f'material="{mat}"/>')
    for lm in layout.landmarks:  # flat, saturated colour (mat_landmark_*): a colour threshold finds it
        hx, hy, hz = lm.half_size
        x, y, z = lm.centre
        parts.append(f'<geom name="landmark_{lm.name}" type="box" pos="{x} {y} {z}" euler="0 0 {lm.yaw}" '
                     f'size="{hx} {hy} {hz}" material="mat_landmark_{lm.name}"/>')
    return "\n".join(parts)


def build_xml(cfg: DroneSimConfig, layout: RoomLayout) -> str:
    """The full MJCF string for ``layout`` with the airframe and cameras of ``cfg``."""
    q = cfg.quad
    cam = cfg.camera
    assets = []
    for name, (_, _, texels_per_m) in _TEXTURES.items():
        assets.append(f'<texture name="tex_{name}" type="2d" builtin="flat" width="{_TEX_SIZE}" '
                      f'height="{_TEX_SIZE}" rgb1="0.5 0.5 0.5"/>')
        repeat = texels_per_m / _TEX_SIZE
        assets.append(f'<material name="mat_{name}" texture="tex_{name}" texrepeat="{repeat} {repeat}" '
                      'texuniform="true" specular="0" shininess="0" reflectance="0"/>')
    for lm in layout.landmarks:
        r, g, b = lm.colour
        assets.append(f'<material name="mat_landmark_{lm.name}" rgba="{r} {g} {b} 1" emission="0.5" specular="0"/>')
    actuators = [
        f'<general name="motor{i}" site="thrust{i}" gear="0 0 1 0 0 {s * q.yaw_moment_coeff_m}" '
        f'dyntype="filter" dynprm="{q.motor_time_constant_s}" ctrlrange="0 {q.max_thrust_per_motor_n}"/>'
        for i, s in enumerate(ROTOR_SPIN)
    ]
    extent = max(*cfg.room.size_m, cfg.room.height_m)
    return f"""<mujoco model="plansight_quadrotor_room">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="{1.0 / cfg.physics_hz}" integrator="implicitfast"/>
  <statistic extent="{extent}" center="0 0 1"/>
  <visual>
    <quality shadowsize="0" offsamples="0"/>
    <map znear="{0.02 / extent}" zfar="{4.0}"/>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.35 0.35 0.35" specular="0 0 0"/>
    <global offwidth="{max(640, cam.width)}" offheight="{max(480, cam.height)}"/>
  </visual>
  <asset>
    {chr(10).join(assets)}
  </asset>
  <worldbody>
    {_room_xml(layout)}
    {_quad_xml(cfg, layout)}
  </worldbody>
  <actuator>
    {chr(10).join(actuators)}
  </actuator>
</mujoco>"""


def _noise_texture(rng: np.random.Generator, base_rgb: tuple[float, float, float], contrast: float) -> np.ndarray:
    """(S, S, 3) uint8 multi-scale value noise around ``base_rgb``: texture for stereo at all ranges."""
    acc = np.zeros((_TEX_SIZE, _TEX_SIZE), dtype=np.float64)
    for cells, weight in ((4, 1.0), (8, 0.8), (16, 0.7), (32, 0.6), (64, 0.5)):
        grid = rng.standard_normal((cells, cells))
        reps = _TEX_SIZE // cells
        layer = np.kron(grid, np.ones((reps, reps)))
        # cheap smoothing: average with shifted copies so cell edges are not all axis-aligned steps
        layer = 0.5 * layer + 0.25 * np.roll(layer, reps // 2, 0) + 0.25 * np.roll(layer, reps // 2, 1)
        acc += weight * layer
    acc = (acc - acc.mean()) / (acc.std() + 1e-9)
    shade = np.clip(1.0 + contrast * 0.45 * acc, 0.15, 1.8)
    rgb = np.clip(shade[..., None] * np.asarray(base_rgb)[None, None, :], 0.0, 1.0)
    return (rgb * 255).astype(np.uint8)


def build_model(cfg: DroneSimConfig, layout: RoomLayout) -> mujoco.MjModel:
    """Compile the model, paint the textures (seeded by the layout) and set drag as DOF damping."""
    model = mujoco.MjModel.from_xml_string(build_xml(cfg, layout))
    rng = np.random.default_rng(layout.seed + 7919)
    for name, (rgb, contrast, _) in _TEXTURES.items():
        tid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_TEXTURE, f"tex_{name}")
        adr = model.tex_adr[tid]
        n = model.tex_width[tid] * model.tex_height[tid] * model.tex_nchannel[tid]
        model.tex_data[adr:adr + n] = _noise_texture(rng, rgb, contrast).reshape(-1)
    jid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, "quad_root")
    dof = model.jnt_dofadr[jid]
    q = cfg.quad
    model.dof_damping[dof:dof + 6] = [q.drag_xy_ns_per_m, q.drag_xy_ns_per_m, q.drag_z_ns_per_m,
                                      q.angular_damping_nms, q.angular_damping_nms, q.angular_damping_nms]
    return model
