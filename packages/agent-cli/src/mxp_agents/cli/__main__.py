"""``python -m mxp_agents.cli``: the same as the ``mxp-agents`` command."""

from mxp_agents.cli import main

raise SystemExit(main())
