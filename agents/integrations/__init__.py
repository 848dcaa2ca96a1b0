"""Networks for other training libraries' swarmgym runs.

:mod:`.window_net` (torch only) holds the actor-critic network for k×k windows and the portable policy
file a Ray-trained run exports, so a trained ``rllib:RUN_DIR`` evaluates without Ray;
:mod:`.rllib` wraps it as an RLlib RLModule (imports ray: ``pip install "swarmgym[rllib]"``). The env
adapters are in :mod:`swarmgym.integrations`, the RLlib trainer in :mod:`swarmgym.training.rllib`.
"""
