# One venv, CPU torch first (override: make test TORCH_SPEC="torch==2.14.1"), then the package.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PEERS := .venv-peers

.PHONY: setup demo test lint bench bench-peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install "$(TORCH_SPEC)"
	$(BIN)/pip install -e ".[train,dev,video]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/swarmgym demo --out runs/demo

test: $(STAMP)
	$(BIN)/ruff check .
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python -m pytest -n 2 tests

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_envs.py

# The peers (MAgent2, PettingZoo pursuit, VMAS) in their own venv: magent2 pins old packages.
$(PEERS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/pip install "$(TORCH_SPEC)"
	$(PEERS)/bin/pip install -e . magent2 vmas "pettingzoo[sisl]"
	touch $(PEERS)/.installed

bench-peers: $(PEERS)/.installed
	$(PEERS)/bin/python benchmarks/compare_peers.py

clean:
	rm -rf $(VENV) $(PEERS) runs .pytest_cache
