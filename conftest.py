"""Settings shared by every test run of the workspace.

Under CI (``CI`` set) hypothesis runs derandomized, so a run is reproducible from its commit;
locally it explores new examples on every run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
