"""Env-side adapters for other training libraries: RLlib (:mod:`.rllib`), BenchMARL (:mod:`.benchmarl`).

Nothing here is imported by ``import swarmgym``: each submodule imports its library at the top, so
import the one you use (``pip install "swarmgym[rllib]"`` / ``"swarmgym[benchmarl]"``). These modules
sit beside the registry: they build swarmgym envs for a library and import no agent or trainer code.
The RLlib trainer is :mod:`swarmgym.training.rllib`; the networks it trains are in
:mod:`swarmgym_agents.integrations`. TorchRL needs no adapter: its ``PettingZooWrapper`` takes a
swarmgym env as it is (``examples/torchrl_ppo.py``).
"""
