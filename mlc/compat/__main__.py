"""`python -m mlc.compat SCRIPT.py [ARGS...]`: the same as `python -m mlc.compat.theano`."""

import sys

from mlc.compat.theano import main

sys.exit(main())
