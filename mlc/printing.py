"""Printing graphs (placeholder, being written)."""


def pp(var):
    return str(var)
