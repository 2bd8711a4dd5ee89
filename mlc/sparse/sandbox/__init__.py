"""theano.sparse.sandbox on mlc: `sp` (convolution and max pooling by sparse-matrix products) and `sp2`
(sparse random sampling ops and Theano's compatibility aliases)."""
