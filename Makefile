# plansight: `make demo`, `make test`, `make bench`. Each target creates .venv and installs what it needs;
# running one twice does nothing the second time beyond the target itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
GL_PACKAGES := libegl1 libegl-mesa0 libgl1-mesa-dri libglvnd0 libgl1 libgles2
export MUJOCO_GL ?= egl
export PYOPENGL_PLATFORM ?= egl

.PHONY: demo test bench gl install lint clean airsim-client

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first, so the resolver keeps the local CPU build instead of fetching CUDA wheels.
$(STAMP): pyproject.toml setup.py | $(PY) gl
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Headless MuJoCo rendering needs Mesa's EGL (llvmpipe on machines without a GPU).
gl:
	@missing=$$(for p in $(GL_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "plansight: install EGL/Mesa for headless rendering ($$missing)"; exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		echo "plansight: installing $$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "plansight: headless rendering needs: sudo apt-get install -y $$missing"; \
	fi

demo: $(STAMP)
	$(VENV)/bin/plansight fly launch/missions/drone_room_stereo.yaml

# The official AirSim 1.8.1 Python client, as a test peer for `plansight serve-airsim`, in a venv of its own:
# it needs msgpack<1 and tornado<5, which clash with ours. msgpack-rpc-python first, then airsim without build
# isolation (its setup.py imports numpy and msgpackrpc) and without deps (no opencv-contrib).
AIRSIM_VENV := .venv-airsim
AIRSIM_STAMP := $(AIRSIM_VENV)/.installed
airsim-client: $(AIRSIM_STAMP)

$(AIRSIM_STAMP):
	$(PYTHON) -m venv $(AIRSIM_VENV)
	$(AIRSIM_VENV)/bin/python -m pip install --quiet --upgrade pip setuptools==80.9.0 wheel==0.45.1
	$(AIRSIM_VENV)/bin/python -m pip install --quiet numpy==2.4.6 msgpack-rpc-python==0.4.1 msgpack-python==0.5.6 tornado==4.5.3
	$(AIRSIM_VENV)/bin/python -m pip install --quiet --no-build-isolation --no-deps airsim==1.8.1
	$(AIRSIM_VENV)/bin/python -c "import airsim; print('plansight: official airsim', airsim.__version__, 'in $(AIRSIM_VENV)')"
	touch $(AIRSIM_STAMP)

# LeRobot 0.4.4, to train LeRobot's own ACT / Diffusion Policy on our expert demos, in a venv of its own: it pins
# torch<2.11 (ours is 2.13) and pulls CUDA torch from PyPI (about 8 GB). Optional: nothing in `make test` needs it.
LEROBOT_VENV := .venv-lerobot
LEROBOT_STAMP := $(LEROBOT_VENV)/.installed
.PHONY: lerobot lerobot-data
lerobot: $(LEROBOT_STAMP)

$(LEROBOT_STAMP):
	$(PYTHON) -m venv $(LEROBOT_VENV)
	$(LEROBOT_VENV)/bin/python -m pip install --quiet lerobot==0.4.4 h5py==3.16.0
	touch $(LEROBOT_STAMP)

# The expert demos (plansight collect metaworld ... --out data/mw_policy_96x72.hdf5) as a LeRobot dataset.
lerobot-data: $(LEROBOT_STAMP)
	$(LEROBOT_VENV)/bin/python launch/lerobot/export_dataset.py --data data/mw_policy_96x72.hdf5 \
		--out data/lerobot_mw_96x72 --seeds 10000-10024

test: $(STAMP) $(AIRSIM_STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m bench.run --record

lint: $(STAMP)
	$(VENV)/bin/ruff check agent sim hardware launch tests bench

clean:
	rm -rf $(VENV) $(AIRSIM_VENV) runs .pytest_cache
