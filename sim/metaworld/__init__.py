"""Meta-World v3 arms: the AVDC 11-task adapter (RGB, depth, object masks, camera matrices), the scripted
experts, expert datasets and the oracle video planner."""
