"""Social outcome metrics of multi-agent episodes: Gini, and Perolat et al. (2017)'s U, E, S, P.

Pure functions of per-agent episode accumulators; the agent axis is the LAST axis, so the same call
works on one episode (N,) or a batch (B, N). Definitions (Perolat et al. 2017;
docs/models.md#commons-social-outcome-metrics), with R^i agent i's episode return, r^i_t its
reward at step t = 1..T, and N agents:

- U = Σ_i R^i / T                              utilitarian efficiency (return per step, all agents)
- E = 1 − Σ_i Σ_j |R^i − R^j| / (2 N Σ_i R^i)  equality = 1 − Gini of the returns
- S = (1/N) Σ_i mean{t : r^i_t > 0}            sustainability (mean time at which rewards arrive)
- P = (N T − Σ_i Σ_t tagged^i_t) / T           peace (agents not tagged, averaged over steps)

Normalisation: the functions :func:`efficiency`, :func:`equality`, :func:`sustainability` and
:func:`peace` return exactly these **raw** forms (U in reward per step for the whole population,
S in steps, P in agents, so nobody tagged gives P = N). Codebases differ in dividing U by N, S by T
and P by N; :func:`social_outcomes` returns both the raw forms (keys ``efficiency``, ``equality``,
``sustainability``, ``peace``) and the normalised ones (``efficiency_per_agent`` = U/N,
``sustainability_fraction`` = S/T in (0, 1], ``peace_fraction`` = P/N in [0, 1]).

Conventions (documented choices where the definitions are silent): the Gini coefficient of
returns that sum to zero is 0 (so E = 1 before anyone earned anything); an agent never rewarded
contributes mean{t} = 0 to S (so S still divides by N, and a population in which few agents are
ever rewarded scores a low S); T = 0 gives U = 0 and P = N.
"""

from __future__ import annotations

import numpy as np


def gini(values: np.ndarray) -> np.ndarray:
    """Gini coefficient Σ_i Σ_j |x_i − x_j| / (2 N Σ_i x_i) along the last axis.

    Computed in O(N log N) from the sorted values: Σ_i Σ_j |x_i − x_j| = 2 Σ_k (2k − N − 1) x_(k)
    (k = 1..N ascending). Returns 0 where the values sum to 0. Meant for non-negative values:
    0 is perfect equality, (N − 1)/N one agent holding everything.

    Args:
        values: (..., N) array.

    Returns:
        (...) float64 array.
    """
    x = np.sort(np.asarray(values, dtype=np.float64), axis=-1)
    n = x.shape[-1]
    total = x.sum(axis=-1)
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    spread = (x * weights).sum(axis=-1)
    return np.divide(spread, n * total, out=np.zeros_like(total), where=total != 0)


def equality(returns: np.ndarray) -> np.ndarray:
    """E = 1 − Gini(R) along the last axis (Perolat et al. 2017); equal returns give 1, one holder 1/N."""
    return 1.0 - gini(returns)


def efficiency(returns: np.ndarray, episode_length: np.ndarray | int) -> np.ndarray:
    """Raw U = Σ_i R^i / T along the last axis (0 where T = 0); divide by N for the per-agent form."""
    total = np.asarray(returns, dtype=np.float64).sum(axis=-1)
    length = np.broadcast_to(np.asarray(episode_length, dtype=np.float64), total.shape)
    return np.divide(total, length, out=np.zeros_like(total), where=length > 0)


def sustainability(reward_time_sum: np.ndarray, reward_count: np.ndarray) -> np.ndarray:
    """Raw S = (1/N) Σ_i mean{t : r^i_t > 0} along the last axis, in steps (t counted from 1).

    Args:
        reward_time_sum: (..., N) Σ of the steps t at which each agent got a positive reward.
        reward_count: (..., N) number of such steps; agents with none contribute 0.
    """
    time_sum = np.asarray(reward_time_sum, dtype=np.float64)
    count = np.asarray(reward_count, dtype=np.float64)
    mean_time = np.divide(time_sum, count, out=np.zeros_like(time_sum), where=count > 0)
    return mean_time.mean(axis=-1)


def peace(tagged_steps: np.ndarray, episode_length: np.ndarray | int) -> np.ndarray:
    """Raw P = (N T − Σ_i Σ_t tagged^i_t) / T along the last axis, in agents (N where T = 0).

    Args:
        tagged_steps: (..., N) number of steps each agent spent tagged (removed from play).
        episode_length: T, scalar or broadcastable to the leading axes.
    """
    tagged = np.asarray(tagged_steps, dtype=np.float64)
    n = tagged.shape[-1]
    total = tagged.sum(axis=-1)
    length = np.broadcast_to(np.asarray(episode_length, dtype=np.float64), total.shape)
    untagged = n * length - total
    return np.divide(untagged, length, out=np.full_like(total, float(n)), where=length > 0)


def social_outcomes(
    returns: np.ndarray,
    reward_time_sum: np.ndarray,
    reward_count: np.ndarray,
    tagged_steps: np.ndarray,
    episode_length: np.ndarray | int,
) -> dict[str, np.ndarray]:
    """Perolat's U, E, S, P in their raw forms plus the normalised forms, name -> (...) float64.

    Keys: ``efficiency`` (U), ``efficiency_per_agent`` (U/N), ``equality`` (E), ``sustainability`` (S),
    ``sustainability_fraction`` (S/T, 0 where T = 0), ``peace`` (P), ``peace_fraction`` (P/N).
    All inputs are (..., N) with agents on the last axis; ``episode_length`` broadcasts to (...).
    """
    n = np.asarray(returns).shape[-1]
    u = efficiency(returns, episode_length)
    s = sustainability(reward_time_sum, reward_count)
    p = peace(tagged_steps, episode_length)
    length = np.broadcast_to(np.asarray(episode_length, dtype=np.float64), s.shape)
    return {
        "efficiency": u,
        "efficiency_per_agent": u / n,
        "equality": equality(returns),
        "sustainability": s,
        "sustainability_fraction": np.divide(s, length, out=np.zeros_like(s), where=length > 0),
        "peace": p,
        "peace_fraction": p / n,
    }
