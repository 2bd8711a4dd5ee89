"""Utilities around the compiler (Theano's `theano.misc`): `pkl_utils` saves models as zip files."""
