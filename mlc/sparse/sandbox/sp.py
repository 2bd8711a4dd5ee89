"""theano.sparse.sandbox.sp: convolution and max pooling by sparse-matrix products (Theano 1.0.5's).

Images are rows of a matrix (batch x features*height*width, raster order).
`convolution_indices.evaluate` builds the pattern of a csc matrix P that
maps an image to its stack of patches: row ((y*out_w + x)*features + f)*k + t
(output pixel (y, x), input feature f, kernel tap t in raster order) has a
stored one at column f*h*w + iy*w + ix, the input pixel that tap sees
(taps outside the image, in 'full' mode, store nothing: zero padding).
`convolve` multiplies the images by P with `structured_dot`, then by the
kernels; `max_pool` takes the max over each patch. The output layout is
Theano's: batch x (kernel or feature)*out_h*out_w, each map contiguous.

Theano's step convention is kept: `step = (dx, dy)`, dy between output
rows and dx between output columns (so `max_pool` steps rows by
maxpoolshp[1] and columns by maxpoolshp[0]).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

__all__ = ["ConvolutionIndices", "convolution_indices", "convolve", "max_pool"]


def _out_shape(inshp, kshp, dx: int, dy: int, mode: str) -> np.ndarray:
    s = -1 if mode == "valid" else 1
    out = np.int64(np.ceil((np.asarray(inshp[1:]) + s * np.asarray(kshp) - s) / np.array([dy, dx], dtype=float)))
    if np.any(out <= 0):
        raise ValueError(("Invalid kernel", tuple(kshp), "and/or step size", (dx, dy), "for given input shape",
                          tuple(inshp)))
    return out


class ConvolutionIndices:
    """The patch-matrix pattern of a convolution (Theano's ConvolutionIndices; its static methods)."""

    @staticmethod
    def conv_eval(inshp, kshp, strides=(1, 1), mode="valid"):
        return ConvolutionIndices.evaluate(inshp, kshp, strides, mode=mode, ws=True)

    @staticmethod
    def evaluate(inshp, kshp, strides=(1, 1), nkern=1, mode="valid", ws=True):
        """(indices, indptr, matrix shape, 'csc', output image shape) of the patch matrix P (module doc)."""
        if not ws:
            raise Exception("ws is obsolete and it must be always True")
        if mode not in ("valid", "full"):
            raise ValueError(f"convolution_indices: mode must be 'valid' or 'full', got {mode!r}")
        dx, dy = (int(s) for s in strides)
        inshp = tuple(int(s) for s in inshp)
        if len(inshp) == 2:
            inshp = (1,) + inshp
        kh, kw = (int(s) for s in kshp)
        nf, ih, iw = inshp
        oh, ow = _out_shape(inshp, (kh, kw), dx, dy, mode)
        ksize = kh * kw
        # input pixel seen by tap (a, b) of output pixel (y, x): row y*dy + a - pad_h, column x*dx + b - pad_w
        pad_h, pad_w = (0, 0) if mode == "valid" else (kh - 1, kw - 1)
        y, x, f, a, b = np.meshgrid(np.arange(oh), np.arange(ow), np.arange(nf), np.arange(kh), np.arange(kw),
                                    indexing="ij")
        iy, ix = y * dy + a - pad_h, x * dx + b - pad_w
        inside = (iy >= 0) & (iy < ih) & (ix >= 0) & (ix < iw)
        rows = (((y * ow + x) * nf + f) * ksize + a * kw + b)[inside]
        cols = (f * ih * iw + iy * iw + ix)[inside]
        shape = (int(oh * ow * ksize * nf), int(np.prod(inshp)))
        m = scipy.sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
        m.sort_indices()
        return m.indices[:m.nnz], m.indptr, shape, "csc", np.array([oh, ow])


convolution_indices = ConvolutionIndices()


def _patches(images, imgshp, kshp, step, mode):
    import mlc.sparse as S

    imgshp = tuple(imgshp)
    if len(imgshp) == 2:
        imgshp = (1,) + imgshp
    indices, indptr, shape, sptype, outshp = convolution_indices.conv_eval(imgshp, kshp, step, mode)
    p = S.CSM(sptype)(np.ones(indices.size), indices.astype("int32"), indptr.astype("int32"),
                      np.asarray(shape, dtype="int32"))
    return S.structured_dot(p, images.T).T, imgshp, outshp


def convolve(kerns, kshp, nkern, images, imgshp, step=(1, 1), bias=None, mode="valid", flatten=True):
    """Convolution (cross-correlation, Theano's sandbox convention) of image rows with kernel rows.

    `kerns`: nkern x (features*kh*kw); `images`: batch x (features*h*w);
    `imgshp`: (h, w) or (features, h, w); `kshp`: (kh, kw). Returns
    (output, [nkern, out_h, out_w]) with output batch x nkern*out_h*out_w
    (batch x nkern x out_h*out_w with flatten=False).
    """
    import mlc.tensor as T

    kerns, images = T.as_tensor_variable(kerns), T.as_tensor_variable(images)
    patches, imgshp, outshp = _patches(images, imgshp, kshp, step, mode)
    kern_size = int(np.prod(kshp))
    outsize = int(np.prod(outshp))
    patch_stack = T.reshape(patches, T.stack([images.shape[0] * outsize, imgshp[0] * kern_size]), ndim=2)
    output = T.dot(patch_stack, kerns.T)
    if bias is not None:
        output = output + bias
    output = T.reshape(output, T.stack([images.shape[0], outsize, nkern]), ndim=3).dimshuffle(0, 2, 1)
    if flatten:
        output = T.flatten(output, 2)
    return output, np.hstack((nkern, outshp))


def max_pool(images, imgshp, maxpoolshp):
    """Max pooling of image rows over maxpoolshp windows (valid, steps = the window, Theano's convention).

    Returns (output, [out_h, out_w]) with output batch x features*out_h*out_w.
    """
    import mlc.tensor as T

    images = T.as_tensor_variable(images)
    patches, imgshp, outshp = _patches(images, imgshp, maxpoolshp, maxpoolshp, "valid")
    outsize, poolsize = int(np.prod(outshp)), int(np.prod(maxpoolshp))
    stack = T.reshape(patches, T.stack([images.shape[0] * outsize, imgshp[0], poolsize]), ndim=3)
    pooled = T.max(stack, axis=2)
    out = T.reshape(pooled, T.stack([images.shape[0], outsize, imgshp[0]]), ndim=3).dimshuffle(0, 2, 1)
    return T.flatten(out, 2), outshp
