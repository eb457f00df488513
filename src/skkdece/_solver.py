"""L-BFGS-B on a model's objective, as a function a fit or a path can call.

:func:`minimize_lbfgs` runs SciPy's L-BFGS-B on ``fun(params) -> (value,
grad)`` from any starting point, so a regularisation path can warm-start each
fit from the previous solution.  It works in coordinates of the caller's
choosing (a diagonal scale, or centered and scaled features for the linear
model), prints a progress table under ``verbose``, calls a user callback once
per iteration (from the optimiser's callback, not from inside the loss), lets
a ``monitor`` (early stopping on a held-out score) end the run after any
iteration, and warns with scikit-learn's
:class:`~sklearn.exceptions.ConvergenceWarning` whenever it stops before its
own stopping rule or the monitor's.
"""

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from sklearn.utils.optimize import _check_optimize_result


@dataclass(frozen=True)
class SolverResult:
    """What a run of :func:`minimize_lbfgs` found.

    Attributes
    ----------
    params : ndarray
        The solution, in the caller's units.
    objective : float
        The objective there.
    n_iter : int
        Iterations run, at most ``max_iter``.
    converged : bool
        Whether L-BFGS-B met its stopping rule before ``max_iter``, or the
        monitor ended the run.
    stopped : bool, default=False
        Whether the monitor ended the run.
    """

    params: np.ndarray
    objective: float
    n_iter: int
    converged: bool
    stopped: bool = False


class _MonitorStop(Exception):
    """Raised from the optimiser's callback when the monitor ends the run.

    SciPy's own signal (``StopIteration`` from the callback) exists only from
    SciPy 1.11's new-style callbacks on, and what L-BFGS-B returns then has
    changed between versions; an exception of our own, caught around
    :func:`scipy.optimize.minimize`, behaves the same on every version, and
    the last accepted iterate is already in hand.
    """


def minimize_lbfgs(
    fun,
    params,
    *,
    scale=None,
    coordinates=None,
    bounds=None,
    max_iter=1000,
    tol=1e-6,
    verbose=0,
    callback=None,
    monitor=None,
    warn=True,
    name="skkdece",
):
    """Minimise ``fun`` with L-BFGS-B on its exact gradient.

    Parameters
    ----------
    fun : callable
        ``fun(params) -> (value, grad)`` in the caller's units.
    params : ndarray of shape (n_params,)
        Starting point (a warm start, or zeros).
    scale : ndarray of shape (n_params,) or None, default=None
        Diagonal preconditioner: L-BFGS-B works on ``params * scale``, so
        parameters of badly scaled features converge like standard ones.
        Values, gradients, bounds and results stay in the caller's units.
    coordinates : object or None, default=None
        General coordinates for the solver, in place of ``scale``: an object
        with ``to_solver(params)``, ``from_solver(u)`` and ``gradient(grad)``
        (the caller's gradient in solver coordinates), such as
        :class:`skkdece._linear.SolverCoordinates`.  ``fun`` is always called
        at ``from_solver(u)``.  Bounds need a ``scale`` attribute.
    bounds : sequence of (low, high) or None, default=None
        Bounds in the caller's units, as for :func:`scipy.optimize.minimize`.
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-6
        Stop when the largest component of the (scaled) gradient is below.
    verbose : int, default=0
        Print a table of the iterations when positive.
    callback : callable or None, default=None
        Called after every iteration as ``callback(params, n_iter)``, with a
        copy of the current parameters in the caller's units.
    monitor : callable or None, default=None
        Called after every iteration, after ``callback``, as
        ``monitor(params, n_iter, value)`` with the current parameters (in
        the caller's units; not to be modified) and objective; a true return
        value ends the run there, without a warning (the result then has
        ``stopped=True`` and holds that iterate).
    warn : bool, default=True
        Whether to warn when L-BFGS-B stops before convergence (reaching
        ``max_iter`` included).
    name : str, default="skkdece"
        Whose fit this is, for the table and the warning.

    Returns
    -------
    SolverResult
    """
    if coordinates is None:
        coordinates = _DiagonalScale(
            np.ones(params.shape[0]) if scale is None else np.asarray(scale)
        )
    state = {"n_iter": 0, "t0": time.perf_counter()}

    def scaled_fun(u):
        value, grad = fun(coordinates.from_solver(u))
        grad = coordinates.gradient(grad)
        state["grad"] = grad
        return value, grad

    if bounds is not None:
        scale = coordinates.scale
        bounds = [
            (None if lo is None else lo * s, None if hi is None else hi * s)
            for (lo, hi), s in zip(bounds, scale, strict=True)
        ]
    if verbose:
        print(f"[{name}]")
        header = ("Iteration", "Objective", "Max |grad|", "Time (s)")
        print("{:>10} {:>18} {:>12} {:>9}".format(*header))
        print("-" * 52)

    def on_iteration(intermediate_result):
        state["n_iter"] += 1
        if verbose:
            # The last evaluation is the accepted point of this iteration.
            print(
                f"{state['n_iter']:>10d} {intermediate_result.fun:>18.12f} "
                f"{np.max(np.abs(state['grad'])):>12.3e} "
                f"{time.perf_counter() - state['t0']:>9.2f}"
            )
        if callback is not None:
            callback(coordinates.from_solver(intermediate_result.x), state["n_iter"])
        if monitor is not None:
            x = coordinates.from_solver(intermediate_result.x)
            value = float(intermediate_result.fun)
            if monitor(x, state["n_iter"], value):
                state["stop"] = (x, value)
                raise _MonitorStop

    try:
        result = minimize(
            scaled_fun,
            coordinates.to_solver(params),
            method="L-BFGS-B",
            jac=True,
            bounds=bounds,
            callback=on_iteration,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
    except _MonitorStop:
        x, value = state["stop"]
        if verbose:
            print(f"Stopped by the monitor ({state['n_iter']} iterations)")
        return SolverResult(
            params=x,
            objective=value,
            n_iter=state["n_iter"],
            converged=True,
            stopped=True,
        )
    n_iter = min(result.nit, max_iter)
    if warn:
        n_iter = _check_optimize_result(
            "lbfgs",
            result,
            max_iter,
            extra_warning_msg=(
                f"{name}: L-BFGS-B stopped before convergence after "
                f"{n_iter} iterations. Increase max_iter, scale the features, "
                "or loosen tol."
            ),
        )
    if verbose:
        print(f"{result.message} ({n_iter} iterations)")
    return SolverResult(
        params=coordinates.from_solver(result.x),
        objective=float(result.fun),
        n_iter=int(n_iter),
        converged=result.status == 0,
    )


class _DiagonalScale:
    """Solver coordinates ``params * scale``."""

    def __init__(self, scale):
        self.scale = scale

    def to_solver(self, params):
        return params * self.scale

    def from_solver(self, u):
        return u / self.scale

    def gradient(self, grad):
        return grad / self.scale
