# Two entry points for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
ACCEPT := ../shared/acceptance/run

.PHONY: demo test unit lit acceptance bench fuzz clean

$(VENV)/.installed: pyproject.toml
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e .
	touch $@

# The bench extra (JAX, PyTensor, Numba) is optional: bench/run.py reports what is missing as n/a.
$(VENV)/.installed-bench: $(VENV)/.installed
	$(VPY) -m pip install -q -e '.[bench]' || echo "warning: the bench extra did not install; comparing with numpy only"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(VPY) -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	@for f in examples/*.py; do echo "== $$f"; $(VPY) $$f || exit 1; done

unit: $(VENV)/.installed-test
	$(VPY) -m pytest test/unit

lit: $(VENV)/.installed-test
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/lit -sv test/lit

# the shared scripts named in test/acceptance.txt, then the project's own (test/acceptance/t*.py)
acceptance: $(VENV)/.installed
	$(ACCEPT) $(CURDIR)/$(VPY) --list test/acceptance.txt
	$(ACCEPT) $(CURDIR)/$(VPY) $(wildcard $(CURDIR)/test/acceptance/t*.py)

# Runs all three suites even when one fails, reports each, and fails at the end if any failed.
test: $(VENV)/.installed-test
	@status=0; \
	for suite in unit lit acceptance; do \
	  echo "== make $$suite"; \
	  if $(MAKE) --no-print-directory $$suite; then echo "== $$suite: passed"; \
	  else echo "== $$suite: FAILED"; status=1; fi; \
	done; \
	echo "== unit, lit, acceptance: $$( [ $$status = 0 ] && echo all passed || echo 'some FAILED (see above)')"; \
	exit $$status

# The fuzzers (test/fuzz/run.py) for MINUTES minutes on every core; `make test` runs a fixed-seed slice
# of them (test/unit/test_fuzz.py). Failures are minimized into reproducers under build/fuzz/.
MINUTES ?= 10
fuzz: $(VENV)/.installed-test
	$(VPY) test/fuzz/run.py --minutes $(MINUTES) $(FUZZ_ARGS)

bench: $(VENV)/.installed-bench
	$(VPY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
