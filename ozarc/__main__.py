"""``python -m ozarc``: the same as the ``ozarc`` console script."""

from ozarc.cli.main import main

raise SystemExit(main())
