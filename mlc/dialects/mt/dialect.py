"""The `mt` dialect object: every op of the package, and constant materialization for canonicalize."""

from __future__ import annotations

from xdsl.dialect_interfaces.constant_materialization import (
    ConstantMaterializationInterface,
)
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
)
from xdsl.ir import Attribute, Dialect, Operation

from mlc.dialects.mt.base import (
    ConstantOp,
)
from mlc.dialects.mt.contraction import (
    DotOp,
)
from mlc.dialects.mt.sparse import CsrDotOp, SampledDotOp
from mlc.dialects.mt.window import (
    PatchesOp,
    UnpatchesOp,
)
from mlc.dialects.mt.elementwise import (
    AbsOp,
    AcoshOp,
    AcosOp,
    AddOp,
    AndOp,
    AsinhOp,
    AsinOp,
    Atan2Op,
    AtanhOp,
    AtanOp,
    CastOp,
    CeilOp,
    CoshOp,
    CosOp,
    DivOp,
    EqOp,
    ErfcOp,
    ErfcinvOp,
    ErfcxOp,
    GammaincOp,
    GammainccOp,
    ErfinvOp,
    GammalnOp,
    GammaOp,
    I0Op,
    I1Op,
    IvOp,
    J0Op,
    J1Op,
    JvOp,
    PsiOp,
    TriGammaOp,
    ErfOp,
    Exp2Op,
    Expm1Op,
    ExpOp,
    FloordivOp,
    FloorOp,
    GeOp,
    GtOp,
    HypotOp,
    IsinfOp,
    RealOp,
    ImagOp,
    AngleOp,
    CabsOp,
    ConjOp,
    ComplexOp,
    IsnanOp,
    LeOp,
    Log1pOp,
    Log2Op,
    Log10Op,
    LogOp,
    LtOp,
    MaxOp,
    MinOp,
    ModOp,
    MulOp,
    NegOp,
    NeOp,
    NotOp,
    OrOp,
    PowOp,
    ReciprocalOp,
    RoundAwayOp,
    RoundOp,
    SelectOp,
    SigmoidOp,
    SignOp,
    SinhOp,
    SinOp,
    SoftplusOp,
    SqrtOp,
    SubOp,
    TanhOp,
    TanOp,
    TruncOp,
    XorOp,
)
from mlc.dialects.mt.indexing import (
    GatherOp,
    IndexOp,
    InsertIndexOp,
    InsertSliceOp,
    ScatterOp,
    SliceOp,
)
from mlc.dialects.mt.lapack import (
    CholeskyOp,
    DetOp,
    EighOp,
    EigOp,
    ExpmOp,
    InverseOp,
    LstsqOp,
    QrOp,
    SolveOp,
    SvdOp,
)
from mlc.dialects.mt.random import MrgUniformOp
from mlc.dialects.mt.reduction import (
    ArgMaxOp,
    ArgMinOp,
    LogSoftmaxOp,
    ReduceAllOp,
    ReduceAnyOp,
    ReduceMaxOp,
    ReduceMinOp,
    ReduceProdOp,
    ReduceSumOp,
    SoftmaxOp,
)
from mlc.dialects.mt.shape import (
    ArangeOp,
    BroadcastOp,
    ConcatenateOp,
    DimShuffleOp,
    EyeOp,
    ReshapeOp,
    ShapeOp,
)

# ===----------------------------------------------------------------------=== #
# The dialect
# ===----------------------------------------------------------------------=== #


class MtConstantMaterialization(ConstantMaterializationInterface):
    """Lets `canonicalize` turn folded attributes into `mt.constant`."""

    def materialize_constant(self, value: Attribute, type: Attribute) -> Operation | None:
        if isinstance(value, DenseIntOrFPElementsAttr) and value.type == type:
            return ConstantOp(value)
        return None


MT = Dialect(
    "mt",
    [
        ConstantOp,
        # unary elementwise
        NegOp, AbsOp, ExpOp, Exp2Op, Expm1Op, LogOp, Log2Op, Log10Op, Log1pOp,
        SqrtOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp,
        SinhOp, CoshOp, TanhOp, AsinhOp, AcoshOp, AtanhOp,
        FloorOp, CeilOp, RoundOp, RoundAwayOp, TruncOp, SignOp, ErfOp, ErfcOp, ErfinvOp,
        SigmoidOp, SoftplusOp, ReciprocalOp, NotOp,
        GammalnOp, PsiOp, TriGammaOp, GammaOp, ErfcinvOp, ErfcxOp, J0Op, J1Op, I0Op, I1Op,
        # binary elementwise
        AddOp, SubOp, MulOp, DivOp, FloordivOp, ModOp, PowOp, MaxOp, MinOp,
        AndOp, OrOp, XorOp, Atan2Op, HypotOp, JvOp, IvOp, GammaincOp, GammainccOp,
        # comparisons and predicates
        EqOp, NeOp, LtOp, LeOp, GtOp, GeOp, IsnanOp, IsinfOp,
        # complex numbers
        RealOp, ImagOp, AngleOp, CabsOp, ConjOp, ComplexOp,
        # select, cast
        SelectOp, CastOp,
        # shapes
        ShapeOp, BroadcastOp, DimShuffleOp, ReshapeOp, SliceOp, IndexOp, ConcatenateOp,
        InsertSliceOp, InsertIndexOp, GatherOp, ScatterOp,
        # reductions
        ReduceSumOp, ReduceProdOp, ReduceMaxOp, ReduceMinOp, ReduceAnyOp, ReduceAllOp,
        ArgMaxOp, ArgMinOp,
        # contraction, constructors, softmax
        DotOp, ArangeOp, EyeOp, SoftmaxOp, LogSoftmaxOp,
        # random numbers
        MrgUniformOp,
        # sliding windows (convolution, pooling)
        PatchesOp, UnpatchesOp,
        # LAPACK
        CholeskyOp, SolveOp, InverseOp, DetOp, EighOp, SvdOp, QrOp, EigOp, LstsqOp, ExpmOp,
        # CSR sparse matrix products
        CsrDotOp, SampledDotOp,
    ],  # fmt: skip
    [],
    [MtConstantMaterialization()],
)

