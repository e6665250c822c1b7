"""Run by test_official_client.py with the *official* airsim 1.8.1 package (in .venv-airsim), unchanged.

A typical user script: connect, take off, move, images, state, collision info, land. Prints one JSON
object with what it saw; the test makes the assertions. Usage: python official_client_script.py PORT
"""

import json
import sys

import airsim
import numpy as np

out = {"airsim_version": airsim.__version__}
client = airsim.MultirotorClient(ip="127.0.0.1", port=int(sys.argv[1]), timeout_value=30)
client.confirmConnection()
client.reset()
client.enableApiControl(True)
out["api_control"] = client.isApiControlEnabled()
out["home_latitude"] = client.getHomeGeoPoint().latitude
client.simPrintLogMessage("plansight test: ", "hello", 1)
out["armed"] = client.armDisarm(True)
s = client.getMultirotorState()
out["landed_state_before"] = s.landed_state
out["takeoff"] = client.takeoffAsync().join()  # msgpackrpc's join() returns None; the move happens anyway
s = client.getMultirotorState()
out["landed_state_flying"] = s.landed_state
p0 = s.kinematics_estimated.position
out["z_after_takeoff"] = p0.z_val
out["move_result"] = client.moveByVelocityBodyFrameAsync(1.0, 0.0, 0.0, 1.0).get()
p1 = client.getMultirotorState().kinematics_estimated.position
out["dx_body_forward"] = p1.x_val - p0.x_val
out["dy_body_forward"] = p1.y_val - p0.y_val
client.moveByVelocityAsync(0.0, 0.0, -0.5, 1.0).join()
p2 = client.simGetVehiclePose().position
out["dz_up"] = p2.z_val - p1.z_val
responses = client.simGetImages([
    airsim.ImageRequest("front_left", airsim.ImageType.Scene, False, False),
    airsim.ImageRequest("front_right", airsim.ImageType.Scene, False, False),
    airsim.ImageRequest("front_left", airsim.ImageType.DepthPlanar, True),
    airsim.ImageRequest("0", airsim.ImageType.Scene),  # compressed PNG from the default camera
])
left = np.frombuffer(responses[0].image_data_uint8, dtype=np.uint8).reshape(responses[0].height,
                                                                              responses[0].width, 3)
depth = airsim.list_to_2d_float_array(responses[2].image_data_float, responses[2].width, responses[2].height)
out["scene"] = {"shape": list(left.shape), "dtype": str(left.dtype), "mean": float(left.mean())}
out["scene_right_differs"] = bool(responses[1].image_data_uint8 != responses[0].image_data_uint8)
out["depth"] = {"shape": list(depth.shape), "dtype": str(depth.dtype), "min": float(depth.min()),
                "max": float(depth.max())}
out["png_magic"] = responses[3].image_data_uint8[:8].hex()
out["image_type_types"] = [r.image_type for r in responses]
c = client.simGetCollisionInfo()
out["collision"] = {"has_collided": c.has_collided, "object_name": c.object_name}
try:
    client.client.call("moveByVelocity", 1.0, 0.0, 0.0, 1.0)  # too few arguments for rpclib's dispatch
except Exception as e:
    out["arity_error"] = f"{type(e).__name__}: {e}"
client.landAsync().join()
s = client.getMultirotorState()
out["landed_state_after"] = s.landed_state
out["z_after_land"] = s.kinematics_estimated.position.z_val
out["disarmed"] = client.armDisarm(False)
client.enableApiControl(False)
print(json.dumps(out))
