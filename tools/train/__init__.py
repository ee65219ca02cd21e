"""Training the shipped models: `python -m tools.train --config small --data DIR --steps N`."""
