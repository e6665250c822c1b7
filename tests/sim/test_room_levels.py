"""Room difficulty levels (RoomConfig.level): valid rooms at every level, and the default rooms unchanged."""

import math

import pytest

from plansight.sim.drone.config_drone import ROOM_LEVELS, RoomConfig
from plansight.sim.drone.room import generate_room, layout_violations, room_config

# generate_room(RoomConfig(), seed).to_dict(), computed with the code before difficulty levels existed
# (benchmarks depend on these rooms)
EXPECTED = {0: {'size': (5.0, 5.0),
     'height': 2.6,
     'obstacles': ({'kind': 'pole',
                    'x': 1.0142707087219214,
                    'y': 1.3363730080557126,
                    'size': (0.08115693448699704,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'box',
                    'x': 0.8502208235295894,
                    'y': -1.3385383079533755,
                    'size': (0.24099536636507696, 0.2594244841475998),
                    'yaw': 1.7078482794955865,
                    'height': 2.483130362817983},
                   {'kind': 'pole',
                    'x': 1.1677684897543132,
                    'y': 0.1333147481147261,
                    'size': (0.09229589344217913,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': -0.36686309001813244,
                    'y': 1.5681236091099113,
                    'size': (0.12307695780368777,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': -0.5116815184562282,
                    'y': -0.34213692191247147,
                    'size': (0.12160100211397877,),
                    'yaw': 0.0,
                    'height': 2.6}),
     'start_xy': (-1.8, 0.2739233746429087),
     'start_yaw': 0.0,
     'seed': 0},
 3: {'size': (5.0, 5.0),
     'height': 2.6,
     'obstacles': ({'kind': 'pole',
                    'x': -0.06660351142435172,
                    'y': -1.0818132425859956,
                    'size': (0.11031888581655316,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': -0.21974659334206637,
                    'y': 0.27494804810770535,
                    'size': (0.11617181278349545,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': 1.4311747346278603,
                    'y': -0.6768967944363415,
                    'size': (0.1316486451104512,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': 0.5754379266415943,
                    'y': 1.0075756370880147,
                    'size': (0.12603565476112702,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'box',
                    'x': -1.3076325671836884,
                    'y': 0.9438984295577919,
                    'size': (0.21516033311418248, 0.2883692009351205),
                    'yaw': 0.5892223410909004,
                    'height': 1.0669450665860079}),
     'start_xy': (-1.8, -0.8287016657127513),
     'start_yaw': 0.0,
     'seed': 3},
 7: {'size': (5.0, 5.0),
     'height': 2.6,
     'obstacles': ({'kind': 'pole',
                    'x': 1.1946152220950346,
                    'y': -1.5821500386312044,
                    'size': (0.10101163994378579,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': 0.9283502891592816,
                    'y': -0.10020417087173183,
                    'size': (0.13748598928679362,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': -0.7085008253654395,
                    'y': -0.7838229910769816,
                    'size': (0.10121226987735195,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'pole',
                    'x': -0.10705645838070743,
                    'y': 1.3215522819816108,
                    'size': (0.11604221741899592,),
                    'yaw': 0.0,
                    'height': 2.6},
                   {'kind': 'box',
                    'x': 1.2566709931431197,
                    'y': 1.0916235106763097,
                    'size': (0.2028827912818007, 0.21710689227289026),
                    'yaw': 1.167502424388656,
                    'height': 1.846569931144768}),
     'start_xy': (-1.8, 0.25019093320933383),
     'start_yaw': 0.0,
     'seed': 7},
 42: {'size': (5.0, 5.0),
      'height': 2.6,
      'obstacles': ({'kind': 'pole',
                     'x': 0.8963654630877294,
                     'y': -1.165283783099286,
                     'size': (0.1332797791393247,),
                     'yaw': 0.0,
                     'height': 2.6},
                    {'kind': 'pole',
                     'x': -0.4104676960616811,
                     'y': 1.3558093109025702,
                     'size': (0.1115270156526897,),
                     'yaw': 0.0,
                     'height': 2.6},
                    {'kind': 'pole',
                     'x': 1.5016991448481276,
                     'y': 1.254200402625853,
                     'size': (0.10481681776909078,),
                     'yaw': 0.0,
                     'height': 2.6},
                    {'kind': 'box',
                     'x': -0.3100700508765868,
                     'y': -0.5832933708010959,
                     'size': (0.25503976530033734, 0.19685499620730615),
                     'yaw': 2.614621277941264,
                     'height': 2.248575843494243},
                    {'kind': 'pole',
                     'x': 1.2989987522705038,
                     'y': -0.14268803370288907,
                     'size': (0.08674736735074495,),
                     'yaw': 0.0,
                     'height': 2.6}),
      'start_xy': (-1.8, 0.5479120971119267),
      'start_yaw': 0.0,
      'seed': 42},
 1000: {'size': (5.0, 5.0),
        'height': 2.6,
        'obstacles': ({'kind': 'pole',
                       'x': 0.16196438752435482,
                       'y': 1.1400812386931043,
                       'size': (0.13275770865341158,),
                       'yaw': 0.0,
                       'height': 2.6},
                      {'kind': 'pole',
                       'x': -0.7869010578217062,
                       'y': -0.9698927533796934,
                       'size': (0.13637605546341453,),
                       'yaw': 0.0,
                       'height': 2.6},
                      {'kind': 'pole',
                       'x': 0.5273721132342521,
                       'y': -0.6813053053675308,
                       'size': (0.14887969073245205,),
                       'yaw': 0.0,
                       'height': 2.6},
                      {'kind': 'box',
                       'x': 1.1738323428501833,
                       'y': 0.5162258152962962,
                       'size': (0.16324462927821742, 0.18458928672814218),
                       'yaw': 1.7313085293851365,
                       'height': 1.237968825433368},
                      {'kind': 'pole',
                       'x': -1.1385754536238326,
                       'y': 1.4403846952753268,
                       'size': (0.14012759370437328,),
                       'yaw': 0.0,
                       'height': 2.6}),
        'start_xy': (-1.8, 0.04277147595012548),
        'start_yaw': 0.0,
        'seed': 1000},
 1004: {'size': (5.0, 5.0),
        'height': 2.6,
        'obstacles': ({'kind': 'pole',
                       'x': 1.062889116928438,
                       'y': -1.180862225012867,
                       'size': (0.12344716634005913,),
                       'yaw': 0.0,
                       'height': 2.6},
                      {'kind': 'box',
                       'x': 0.7195474046966746,
                       'y': 1.3916961734331268,
                       'size': (0.22373203225984747, 0.19870334995473146),
                       'yaw': 3.0325163407482605,
                       'height': 2.2032367450629984},
                      {'kind': 'pole',
                       'x': 0.7952574432399508,
                       'y': 0.008303939648222958,
                       'size': (0.1339324586278826,),
                       'yaw': 0.0,
                       'height': 2.6},
                      {'kind': 'pole',
                       'x': -0.27893630231869104,
                       'y': -1.4930284892610937,
                       'size': (0.1035519050854518,),
                       'yaw': 0.0,
                       'height': 2.6},
                      {'kind': 'pole',
                       'x': -0.5351188031133334,
                       'y': 0.0832898539182716,
                       'size': (0.11703697745623348,),
                       'yaw': 0.0,
                       'height': 2.6}),
        'start_xy': (-1.8, -0.99823909451857),
        'start_yaw': 0.0,
        'seed': 1004}}


@pytest.mark.parametrize("seed", sorted(EXPECTED))
@pytest.mark.parametrize("cfg", [RoomConfig(), RoomConfig(level="default"), room_config("default")],
                         ids=["no_level", "level_default", "room_config"])
def test_default_layouts_are_unchanged(seed, cfg):
    assert generate_room(cfg, seed).to_dict() == EXPECTED[seed]


@pytest.mark.parametrize("level", sorted(ROOM_LEVELS))
def test_every_level_generates_valid_rooms(level):
    cfg = room_config(level)
    for seed in [*range(10), *range(1000, 1010)]:
        room = generate_room(cfg, seed)
        assert layout_violations(room, cfg) == [], (level, seed)
        assert len(room.obstacles) == cfg.n_poles + cfg.n_boxes
        # the start is clear of every obstacle by the start clearance, and the airframe fits there
        for o in room.obstacles:
            assert math.hypot(o.x - room.start_xy[0], o.y - room.start_xy[1]) - o.footprint_radius >= 1.0 - 1e-9
        gaps = [math.hypot(o.x - p.x, o.y - p.y) - o.footprint_radius - p.footprint_radius
                for i, o in enumerate(room.obstacles) for p in room.obstacles[i + 1:]]
        assert min(gaps, default=math.inf) >= cfg.min_gap_m - 1e-9


def test_dense_is_at_least_as_hard_as_the_issue_example():
    d = room_config("dense")
    assert d.n_poles >= 10 and d.n_boxes >= 2 and d.min_gap_m <= 0.5
    assert d.pole_radius_m[0] >= 0.10 and d.pole_radius_m[1] >= 0.18


def test_explicit_fields_override_the_level():
    cfg = RoomConfig.model_validate({"level": "dense", "n_poles": 3})
    assert cfg.n_poles == 3 and cfg.n_boxes == ROOM_LEVELS["dense"]["n_boxes"] and cfg.min_gap_m == 0.5
    assert room_config("maze", min_gap_m=0.7).min_gap_m == 0.7


def test_levels_differ_and_bad_level_is_rejected():
    a, b = generate_room(room_config("easy"), 3), generate_room(room_config("dense"), 3)
    assert len(a.obstacles) < len(b.obstacles)
    with pytest.raises(ValueError, match="level"):
        RoomConfig(level="impossible")


def test_layout_violations_names_what_is_wrong():
    cfg = RoomConfig()
    room = generate_room(cfg, 0)
    assert layout_violations(room, RoomConfig(min_gap_m=3.0))
    assert layout_violations(room, RoomConfig(n_poles=9)) and not layout_violations(room, cfg)
