# One venv, CPU torch first (override: make test TORCH_SPEC="torch==2.14.1"), then the package with every
# extra, the training clients (RLlib, BenchMARL, TorchRL) included; torch is pinned again in that same pip
# command so ray / benchmarl / torchrl never move it.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PEERS := .venv-peers

.PHONY: setup demo test lint bench bench-rllib bench-peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install "$(TORCH_SPEC)"
	$(BIN)/pip install -e ".[train,dev,video,rllib,benchmarl]" "$(TORCH_SPEC)"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/swarmgym demo --out runs/demo

test: $(STAMP)
	$(BIN)/ruff check .
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python -m pytest -n 2 tests

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_envs.py

# RLlib sampling throughput with 1 and 2 env runners on a local Ray (docs/integrations.md).
bench-rllib: $(STAMP)
	$(BIN)/python benchmarks/bench_rllib.py

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
