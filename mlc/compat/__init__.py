"""Compatibility layers for programs written against other libraries' APIs.

- `mlc.compat.theano`: `python -m mlc.compat.theano SCRIPT.py` runs an
  unchanged Theano program on mlc.

Importing this package installs nothing.
"""
