# Two commands matter: `make demo` and `make test`. Both set up .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The CPU build of PyTorch; a bare `torch` requirement would pull a CUDA build of several GB.
TORCH_SPEC ?= torch==2.13.0

# Programs the integration tests run as real third-party clients (Debian packages).
TEST_TOOLS := kcat

.PHONY: install demo test test-unit test-tools stack-down clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e '.[stack,test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/guardstream demo

test-tools:
	@missing=""; for tool in $(TEST_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "install the Debian packages:$$missing (sudo apt-get install$$missing)"; exit 1; fi; \
	fi

test: $(STAMP) test-tools
	$(BIN)/python -m pytest -q

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

stack-down:
	-$(BIN)/guardstream stack down

clean: stack-down
	rm -rf .guardstream
