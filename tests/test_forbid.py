import numpy as np
import pytest

from descent import nn, optim, train
from descent.forbid import NotAllowedError, forbidden
from descent.nn import Linear as AliasedLinear


def test_a_forbidden_function_refuses_with_its_name_and_the_advice():
    with forbidden("descent.nn.numerical_gradient", instead="loop over the entries yourself"):
        with pytest.raises(NotAllowedError, match=r"descent\.nn\.numerical_gradient may not be used in "
                                                   r"this exercise: loop over the entries yourself"):
            nn.numerical_gradient(lambda v: float(v.sum()), np.zeros(2))
    assert np.allclose(nn.numerical_gradient(lambda v: float(v.sum()), np.zeros(2)), [1.0, 1.0])


def test_every_alias_is_reached_and_restored():
    from descent.nn.gradcheck import numerical_gradient as imported_early
    kept = [nn.numerical_gradient]

    def default_argument(x, g=nn.numerical_gradient):
        return g(lambda v: float(v.sum()), x)

    with forbidden("descent.nn.numerical_gradient"):
        with pytest.raises(NotAllowedError):
            imported_early(lambda v: 0.0, np.zeros(1))
        with pytest.raises(NotAllowedError):
            kept[0](lambda v: 0.0, np.zeros(1))
        with pytest.raises(NotAllowedError):
            default_argument(np.zeros(1))
    assert np.allclose(default_argument(np.zeros(3)), 1.0)


def test_a_forbidden_class_cannot_be_built_used_or_subclassed():
    built_before = nn.Linear(3, 2, rng=0)

    class Mine(nn.Linear):
        pass

    with forbidden("descent.nn.Linear"):
        with pytest.raises(NotAllowedError, match=r"descent\.nn\.Linear"):
            AliasedLinear(3, 2)
        with pytest.raises(NotAllowedError):
            Mine(3, 2)
        with pytest.raises(NotAllowedError):
            built_before(np.ones((1, 3)))
        with pytest.raises(NotAllowedError):
            built_before.backward(np.ones((1, 2)))
        nn.Tanh()(np.ones(2))                       # other classes are untouched
    out = built_before(np.ones((1, 3)))
    assert out.shape == (1, 2) and built_before.backward(np.ones((1, 2))).shape == (1, 3)


def test_a_class_that_inherits_its_constructor_refuses_it_and_only_it():
    with forbidden("descent.nn.ReLU"):
        with pytest.raises(NotAllowedError):
            nn.ReLU()
        nn.LeakyReLU(0.1)
    assert "__init__" not in vars(nn.ReLU), "the override is removed afterwards"
    nn.ReLU()(np.ones(2))


def test_an_inherited_method_is_refused_on_the_named_class_only():
    p = nn.Parameter(np.ones(2))
    adam, sgd = optim.Adam([p], lr=0.1), optim.SGD([p], lr=0.1)
    with forbidden("descent.optim.Adam.step"):
        with pytest.raises(NotAllowedError, match=r"descent\.optim\.Adam\.step"):
            adam.step()
        sgd.step()
    assert "step" not in vars(optim.Adam)
    adam.step()


def test_a_forbidden_module_refuses_every_function_and_class_it_offers():
    from descent import schedules
    from descent.nn import init
    with forbidden("descent.schedules", "descent.nn.init", instead="use the formula"):
        with pytest.raises(NotAllowedError, match=r"descent\.schedules\.step_decay may not be used"):
            schedules.step_decay(0.1, step_size=2)
        with pytest.raises(NotAllowedError, match=r"descent\.schedules\.ReduceLROnPlateau may not"):
            schedules.ReduceLROnPlateau(optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1))
        with pytest.raises(NotAllowedError, match=r"descent\.nn\.init\.kaiming_normal_"):
            init.kaiming_normal_(np.empty((2, 2)), rng=0)
    assert schedules.step_decay(0.1, step_size=2)(2) == pytest.approx(0.01)
    assert init.kaiming_normal_(np.empty((2, 2)), rng=0).shape == (2, 2)


def test_restored_when_the_block_raises_and_when_nested():
    ban = forbidden("descent.train.minimize")
    with pytest.raises(ZeroDivisionError):
        with ban:
            with ban:
                1 / 0
    assert train.minimize.__code__.co_name == "minimize"
    f = __import__("descent.problems", fromlist=["quadratic"]).quadratic(condition_number=2)
    assert train.minimize(f, optim.SGD, steps=1, lr=0.1).shape == (2, 2)


def test_as_a_decorator_each_call_runs_inside_the_block():
    @forbidden("descent.nn.relative_error")
    def student(a, b):
        return nn.relative_error(a, b)

    with pytest.raises(NotAllowedError):
        student(np.ones(2), np.ones(2))
    assert nn.relative_error(np.ones(2), np.ones(2)) == 0.0


@pytest.mark.parametrize("names, message", [
    ((), "at least one"),
    (("Linear",), "dotted"),
    (("descent.nn.NoSuchLayer",), "no such attribute"),
    (("nowhere_at_all.thing",), "no module"),
    (("descent.forbid.DEFAULT_INSTEAD",), "not a function or a class"),
    (("descent.nn.utils.np",), "name a module by its own name"),
])
def test_bad_names_are_refused_up_front(names, message):
    with pytest.raises(ValueError, match=message):
        with forbidden(*names):
            pass


def test_a_failed_start_undoes_what_it_had_done():
    with pytest.raises(ValueError):
        with forbidden("descent.nn.relative_error", "descent.nn.NoSuchLayer"):
            pass
    assert nn.relative_error(np.ones(1), np.ones(1)) == 0.0
