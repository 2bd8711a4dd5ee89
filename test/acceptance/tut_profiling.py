"""doc/tutorial/profiling.txt and profiling_example.py: profile=True, f.profile.summary(), shared ProfileStats."""
import io

import numpy as np

import theano

x, y, z = theano.tensor.vectors('xyz')
f = theano.function([x, y, z], [(x + y + z) * 2], profile=True)
xv = np.random.rand(10).astype(theano.config.floatX)
yv = np.random.rand(10).astype(theano.config.floatX)
zv = np.random.rand(10).astype(theano.config.floatX)
f(xv, yv, zv)

buf = io.StringIO()
f.profile.summary(file=buf)
text = buf.getvalue()
print(text)
for part in ("Function profiling", "Time in 1 calls to Function.__call__", "Total compile time",
             "Class", "Ops", "Apply", "<% time>", "<Apply name>"):
    assert part in text, part

# combining the profile of many functions
profile = theano.compile.ProfileStats()
f = theano.function([x, y], x + y, profile=profile)
g = theano.function([x, z], x * z, profile=profile)
f(xv, yv)
g(xv, zv)
assert profile.fct_callcount == 2
profile.summary(file=io.StringIO())

# config.profile: every function is profiled, the summaries are printed at exit
theano.config.profile = True
h = theano.function([x], x.sum(), name="h")
h(xv)
assert h.profile is not None and h.profile.message == "h" and h.profile.fct_callcount == 1
theano.config.profile = False
print("ok")
