"""mlc.sparse: Theano's theano.sparse (csr / csc matrices as scipy.sparse values).

    import mlc.sparse as sparse
    x = sparse.csr_matrix('x')             # a symbolic csr matrix (floatX)
    W = mlc.shared(np.zeros((n, k)))
    y = sparse.structured_dot(x, W)        # native CSR x dense product, dense result
    f = mlc.function([x], y)
    f(scipy.sparse.random(100, n, format='csr'))

Types and variables: `mlc.sparse.type`; ops (host ops over scipy, with
Theano's gradients): `mlc.sparse.basic`; indexing (`x[...]`, get_item_*):
`mlc.sparse.indexing`; stacks, diagonals, comparisons, clean-up, usmm and
sparse x sparse structured_dot: `mlc.sparse.structure`; the native products
(structured_dot, sampling_dot): `mlc.sparse.native`.
"""

from mlc.sparse.basic import *  # noqa: F401,F403
from mlc.sparse.basic import __all__ as _basic_all
from mlc.sparse.indexing import *  # noqa: F401,F403
from mlc.sparse.indexing import __all__ as _indexing_all
from mlc.sparse.structure import *  # noqa: F401,F403
from mlc.sparse.structure import __all__ as _structure_all
from mlc.sparse.type import (DTYPES, FORMATS, TYPE_FORMATS, SparseConstant, SparseConstantSignature,  # noqa: F401
                             SparseSharedVariable, SparseType, SparseVariable, all_dtypes, as_sparse,
                             as_sparse_or_tensor_variable, as_sparse_variable, bsr_dmatrix, bsr_fmatrix, bsr_matrix,
                             complex_dtypes, constant, continuous_dtypes, csc_dmatrix, csc_fmatrix, csc_matrix,
                             csr_dmatrix, csr_fmatrix, csr_matrix, discrete_dtypes, float_dtypes, int_dtypes,
                             integer_dtypes, matrix, shared, sparse_shared, uint_dtypes)
from mlc.sparse.type import is_sparse_variable as _is_sparse_variable  # noqa: F401

sparse_formats = ["csc", "csr"]
enable_sparse = True

__all__ = [*_basic_all, *_indexing_all, *_structure_all, "SparseConstant", "SparseConstantSignature",
           "SparseSharedVariable", "SparseType", "SparseVariable", "all_dtypes", "as_sparse",
           "as_sparse_or_tensor_variable", "as_sparse_variable", "bsr_dmatrix", "bsr_fmatrix", "bsr_matrix",
           "complex_dtypes", "constant", "continuous_dtypes", "csc_dmatrix", "csc_fmatrix", "csc_matrix",
           "csr_dmatrix", "csr_fmatrix", "csr_matrix", "discrete_dtypes", "float_dtypes", "int_dtypes",
           "integer_dtypes", "matrix", "shared", "sparse_formats", "uint_dtypes"]
