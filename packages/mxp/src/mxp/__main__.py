"""``python -m mxp``: the MXP command line (see `mxp._cli`)."""

from mxp._cli import main

raise SystemExit(main())
