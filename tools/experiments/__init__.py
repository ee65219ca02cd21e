"""Measured experiments that inform the model design; nothing here ships."""
