"""Export our expert demos for LeRobot (runs in LeRobot's own venv: ``make lerobot``)."""
