"""theano.sparse.sandbox on mlc: `sp2` (sparse random sampling ops and Theano's compatibility aliases)."""
