"""doc/tutorial/examples.txt, "Copying functions"."""
import theano
import theano.tensor as T
state = theano.shared(0)
inc = T.iscalar('inc')
accumulator = theano.function([inc], state, updates=[(state, state+inc)])

out = accumulator(10)
print(repr(out))
assert out == 0 and out.shape == ()
print(state.get_value())
assert state.get_value() == 10

new_state = theano.shared(0)
new_accumulator = accumulator.copy(swap={state:new_state})
out = new_accumulator(100)
print(out)
assert isinstance(out, list) and out[0] == 0
print(new_state.get_value())
assert new_state.get_value() == 100

print(state.get_value())
assert state.get_value() == 10

null_accumulator = accumulator.copy(delete_updates=True)
out = null_accumulator(9000)
print(out)
assert out[0] == 10
print(state.get_value())
assert state.get_value() == 10
