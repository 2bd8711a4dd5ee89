"""mlc: a multi-level array compiler with Theano's API."""
