"""2-D loss surfaces (values and gradients against finite differences and closed forms)
and optimize_path (it runs dnnlib's own optimizers, so its paths follow their formulas)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib.gradcheck import numerical_gradient
from dnnlib.lab.surfaces import (
    OPTIMIZERS,
    Quadratic,
    Rosenbrock,
    Surface,
    Trajectory,
    ill_conditioned_quadratic,
    optimize_path,
)
from dnnlib.optim import SGD, Adam, CosineAnnealing, RMSProp

SURFACES = {
    "quadratic": lambda: Quadratic([[3.0, 1.0], [1.0, 2.0]], center=(0.5, -1.0)),
    "ill-conditioned": lambda: ill_conditioned_quadratic(0.5, 10.0, angle=30.0),
    "rosenbrock": lambda: Rosenbrock(),
    "rosenbrock a=2 b=5": lambda: Rosenbrock(2.0, 5.0),
}


# --------------------------------------------------------------------------- values, gradients
@pytest.mark.parametrize("name", sorted(SURFACES))
def test_gradient_matches_finite_differences(name):
    surf = SURFACES[name]()
    g = np.random.default_rng(0)
    for theta in g.normal(size=(5, 2)):
        num = numerical_gradient(lambda t: float(surf.value(t)), theta)
        np.testing.assert_allclose(surf.grad(theta), num, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_minimum_has_zero_value_and_gradient(name):
    surf = SURFACES[name]()
    np.testing.assert_allclose(surf.grad(surf.minimum), [0.0, 0.0], atol=1e-12)
    assert surf.min_value == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_value_and_grad_on_every_backend(xp, name):
    surf = SURFACES[name]()
    pts = np.random.default_rng(1).normal(size=(4, 3, 2))
    theta = dl.backend.asarray(pts, dtype=xp.float64)
    v, gr = surf.value(theta), surf.grad(theta)
    assert_namespace(v, xp)
    assert_namespace(gr, xp)
    assert v.shape == (4, 3) and gr.shape == (4, 3, 2)
    ref = [surf.value(p) for p in pts.reshape(-1, 2)]
    np.testing.assert_allclose(dl.to_numpy(v).ravel(), ref, rtol=1e-12)
    ref_g = np.stack([surf.grad(p) for p in pts.reshape(-1, 2)])
    np.testing.assert_allclose(dl.to_numpy(gr).reshape(-1, 2), ref_g, rtol=1e-12)


def test_quadratic_closed_forms():
    H = np.array([[3.0, 1.0], [1.0, 2.0]])
    c = np.array([0.5, -1.0])
    q = Quadratic(H, center=c)
    theta = np.array([2.0, 1.0])
    d = theta - c
    assert float(q.value(theta)) == pytest.approx(0.5 * d @ H @ d)
    np.testing.assert_allclose(q.grad(theta), H @ d)
    np.testing.assert_allclose(q.eigenvalues, np.linalg.eigvalsh(H))
    assert q.condition_number == pytest.approx(np.linalg.cond(H))


def test_ill_conditioned_quadratic_has_the_eigenvalues_and_axis_asked_for():
    q = ill_conditioned_quadratic(0.5, 10.0, angle=30.0)
    np.testing.assert_allclose(q.eigenvalues, [0.5, 10.0])
    assert q.condition_number == pytest.approx(20.0)
    flat = q.eigenvectors[:, 0] * np.sign(q.eigenvectors[0, 0])
    np.testing.assert_allclose(flat, [np.cos(np.pi / 6), np.sin(np.pi / 6)], atol=1e-12)
    np.testing.assert_array_equal(q.hessian, q.hessian.T)


def test_rosenbrock_hessian_at_minimum_matches_finite_differences():
    r = Rosenbrock(1.5, 20.0)
    h = 1e-6
    num = np.stack([(r.grad(r.minimum + h * e) - r.grad(r.minimum - h * e)) / (2 * h)
                    for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(r.hessian_at_minimum, num, rtol=1e-6)
    np.testing.assert_allclose(r.minimum, [1.5, 2.25])


def test_grid_shapes_and_values():
    q = Quadratic(np.eye(2))
    X1, X2, F = q.grid(n=7, xlim=(-1, 1), ylim=(0, 2))
    assert X1.shape == X2.shape == F.shape == (7, 7)
    np.testing.assert_allclose(F, 0.5 * (X1**2 + X2**2))
    assert X1[0, 0] == -1 and X2[-1, 0] == 2


@pytest.mark.parametrize("bad, exc, match", [
    ([[1.0, 2.0], [0.0, 1.0]], ValueError, "symmetric"),
    ([[1.0, 0.0], [0.0, -1.0]], ValueError, "positive definite"),
    ([[1.0, 0.0], [0.0, 0.0]], ValueError, "positive definite"),
    (np.eye(3), ValueError, r"\(2, 2\)"),
    ([[1.0, np.nan], [np.nan, 1.0]], ValueError, "finite"),
])
def test_quadratic_rejects_bad_hessians(bad, exc, match):
    with pytest.raises(exc, match=match):
        Quadratic(bad)


def test_surfaces_reject_bad_points_and_parameters():
    q = Quadratic(np.eye(2))
    with pytest.raises(ValueError, match=r"Quadratic.value: theta must have shape \(2,\)"):
        q.value(np.zeros(3))
    with pytest.raises(TypeError, match="Rosenbrock.grad: theta must have a floating dtype"):
        Rosenbrock().grad(np.array([1, 2]))
    with pytest.raises(ValueError, match="Quadratic: center"):
        Quadratic(np.eye(2), center=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="Rosenbrock: b must lie in"):
        Rosenbrock(b=0.0)
    with pytest.raises(ValueError, match="lambda_max must lie in"):
        ill_conditioned_quadratic(2.0, 1.0)


# --------------------------------------------------------------------------- optimize_path
def test_sgd_path_on_a_quadratic_is_the_closed_form():
    """theta_t - theta* = (I - lr H)^t (theta_0 - theta*)."""
    q = Quadratic([[3.0, 1.0], [1.0, 2.0]], center=(0.5, -1.0))
    start, lr, T = np.array([2.0, 2.0]), 0.2, 25
    path = optimize_path(q, "sgd", start, T, lr=lr)
    M = np.eye(2) - lr * q.hessian
    want = np.stack([np.linalg.matrix_power(M, t) @ (start - q.minimum) + q.minimum
                     for t in range(T + 1)])
    np.testing.assert_allclose(path.points, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(path.losses, [float(q.value(p)) for p in want], atol=1e-14)
    assert path.steps == T and not path.diverged and path.lrs.tolist() == [lr] * T


def test_stability_bound_two_over_lambda_max():
    q = ill_conditioned_quadratic(0.5, 10.0)
    start = np.array([1.0, 1.0])
    below = optimize_path(q, "sgd", start, 200, lr=0.99 * 2 / 10.0)
    above = optimize_path(q, "sgd", start, 200, lr=1.01 * 2 / 10.0)
    assert below.final_loss < 1e-2 * below.losses[0]
    assert above.final_loss > 10 * above.losses[0]


def test_divergence_is_reported_and_the_run_stops():
    path = optimize_path(Quadratic(np.eye(2)), "sgd", [1.0, 1.0], 1000, lr=3.0,
                         max_distance=100.0)
    assert path.diverged and path.steps < 1000
    assert np.linalg.norm(path.points[-1] - [1.0, 1.0]) <= 100.0
    assert len(path.lrs) == path.steps == len(path.losses) - 1
    assert "diverged" in repr(path)


def test_momentum_path_is_the_heavy_ball_recurrence():
    """SGD(momentum) == theta_{t+1} = theta_t - lr grad + mu (theta_t - theta_{t-1})."""
    q = ill_conditioned_quadratic(0.5, 10.0)
    lr, mu, T = 0.05, 0.8, 40
    path = optimize_path(q, "momentum", [-3.0, 2.0], T, lr=lr, momentum=mu)
    prev = cur = np.array([-3.0, 2.0])
    want = [cur]
    for _ in range(T):
        nxt = cur - lr * q.grad(cur) + mu * (cur - prev)
        prev, cur = cur, nxt
        want.append(cur)
    np.testing.assert_allclose(path.points, want, rtol=1e-10, atol=1e-12)
    assert path.optimizer == "SGD(lr=0.05, momentum=0.8)"


@pytest.mark.parametrize("name, cls, extra", [
    ("sgd", SGD, {}),
    ("momentum", SGD, {"momentum": 0.9}),
    ("nesterov", SGD, {"momentum": 0.9, "nesterov": True}),
    ("rmsprop", RMSProp, {}),
    ("adam", Adam, {}),
])
def test_names_are_the_library_optimizers(name, cls, extra):
    r = Rosenbrock()
    by_name = optimize_path(r, name, [-1.2, 1.0], 50, lr=1e-3)
    by_factory = optimize_path(r, cls, [-1.2, 1.0], 50, lr=1e-3, **extra)
    np.testing.assert_array_equal(by_name.points, by_factory.points)
    assert OPTIMIZERS[name][0] is cls


def test_adam_path_follows_the_adam_equations():
    r = Rosenbrock()
    lr, (b1, b2), eps, T = 0.05, (0.9, 0.999), 1e-8, 30
    path = optimize_path(r, "adam", [-1.2, 1.0], T, lr=lr)
    theta, m, v = np.array([-1.2, 1.0]), np.zeros(2), np.zeros(2)
    for t in range(1, T + 1):
        g = r.grad(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(path.points[-1], theta, rtol=1e-10)


def test_schedule_noise_and_the_start_array():
    q = Quadratic(np.eye(2))
    start = np.array([1.0, -1.0])
    sched = CosineAnnealing(0.5, T_max=10)
    path = optimize_path(q, "sgd", start, 10, lr=0.5, schedule=sched)
    np.testing.assert_allclose(path.lrs, [sched(t) for t in range(10)])
    np.testing.assert_array_equal(start, [1.0, -1.0])  # not modified in place
    a = optimize_path(q, "sgd", start, 20, lr=0.1, noise=0.3, rng=7)
    b = optimize_path(q, "sgd", start, 20, lr=0.1, noise=0.3, rng=7)
    c = optimize_path(q, "sgd", start, 20, lr=0.1)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    assert a.steps_to(-1.0) is None and c.steps_to(1.0) == 0


def test_optimize_path_on_every_backend(xp):
    r = Rosenbrock()
    ref = optimize_path(r, "adam", [-1.2, 1.0], 20, lr=0.05)  # under xp: the fixture's backend
    with dl.use_backend("numpy"):
        host = optimize_path(r, "adam", [-1.2, 1.0], 20, lr=0.05)
    np.testing.assert_allclose(ref.points, host.points, rtol=1e-12)
    assert isinstance(ref, Trajectory)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"optimizer": "lbfgs", "lr": 0.1}, ValueError, "optimizer must be one of"),
    ({"optimizer": 3, "lr": 0.1}, TypeError, "optimizer must be a name or a factory"),
    ({"optimizer": "sgd"}, TypeError, "give the learning rate"),
    ({"optimizer": "sgd", "lr": 0.1, "start": [1.0]}, ValueError, "start must be two"),
    ({"optimizer": "sgd", "lr": 0.1, "steps": -1}, ValueError, "steps must be >= 0"),
    ({"optimizer": "sgd", "lr": 0.1, "noise": -1.0}, ValueError, "noise must lie in"),
    ({"optimizer": lambda ps, lr: None, "lr": 0.1}, TypeError, "must return a dnnlib"),
    ({"surface": "rosenbrock", "optimizer": "sgd", "lr": 0.1}, TypeError, "must be a dnnlib"),
])
def test_optimize_path_errors(kwargs, exc, match):
    args = {"surface": Quadratic(np.eye(2)), "start": [1.0, 1.0], "steps": 3} | kwargs
    with pytest.raises(exc, match=match):
        optimize_path(args.pop("surface"), args.pop("optimizer"), args.pop("start"),
                      args.pop("steps"), **args)


def test_base_class_is_abstract_enough():
    assert issubclass(Quadratic, Surface) and issubclass(Rosenbrock, Surface)
    assert "Rosenbrock(a=1, b=100)" == repr(Rosenbrock())
    assert "condition_number=20" in repr(ill_conditioned_quadratic())
