"""Helpers every package may import (ARCHITECTURE.md's dependency rule names this package beside
``agent/contracts.py``): standard library, numpy and pydantic only, no plansight imports but each other.

* ``atomic``: atomic file writes and the append-only JSON-lines writer.
* ``errors``: a pydantic ``ValidationError`` as one line naming the field and what is allowed.
* ``ranges``: integer lists from the command line (``25``, ``0-24``, ``3,5``).
* ``polling``: wait for a condition with a deadline.
"""
