"""Make library functions and classes unusable for a while: "implement, don't call".

The graded exercises ask students to write, say, a linear layer's backward pass, and check the
answer against ``descent.nn.Linear``. An answer that simply calls ``nn.Linear`` would pass, so the
tests run the student's function inside ``forbidden(...)``::

    with forbidden("descent.nn.Linear", instead="write the three products with numpy"):
        grads = linear_backward(X, W, G)

While the block runs, calling a named function, constructing a named class, or calling any
method a named class defines raises ``NotAllowedError``, whose message names what may not be used
and what to do instead. Everything is restored when the block ends, also when it raises.

The function objects themselves are switched (their ``__code__``), not the names that point to
them, so the ban reaches every alias: ``from descent.nn import Linear as L``, a reference kept in
a list or a default argument, a subclass, an instance built before the block.
``forbidden(...)`` also decorates: ``forbidden("descent.optim.Adam")(adam_step)`` is ``adam_step``
run inside the block on every call.
"""
import contextlib
import functools
import importlib
import types

__all__ = ["NotAllowedError", "forbidden"]

DEFAULT_INSTEAD = "write it yourself with numpy, from the formula the exercise gives"


class NotAllowedError(AssertionError):
    """A library function was called where the exercise asks for your own implementation."""


def _refuse(name, instead):
    raise NotAllowedError(f"{name} may not be used in this exercise: {instead}. (The tests use the "
                          "library to check your answer, so an answer that calls it proves nothing.)")


@functools.lru_cache(maxsize=None)
def _stand_in_code(free_variables):
    """The code of a function that refuses to run, with as many free variables as the function it
    replaces (a method that calls super() has one), since a function's code and closure must match.
    It runs with the globals of the function it replaces, so it reaches this module by import."""
    names = [f"_free{i}" for i in range(free_variables)]
    source = "".join(f"    {n} = None\n" for n in names) + (
        "    def stand_in(*args, **kwargs):\n"
        + (f"        ({', '.join(names)},)\n" if names else "")
        + '        __import__("descent.forbid").forbid._refuse("NAME", "INSTEAD")\n'
        "    return stand_in\n")
    namespace = {}
    exec("def outer():\n" + source, namespace)
    return namespace["outer"]().__code__


def _resolve(dotted):
    """The object a dotted name denotes, and the class that owns it (None for module members)."""
    if not isinstance(dotted, str) or "." not in dotted:
        raise ValueError(f"names must be dotted paths like 'descent.nn.Linear', got {dotted!r}")
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        owner = None
        try:
            for part in parts[cut:]:
                owner, obj = obj, getattr(obj, part)
        except AttributeError:
            raise ValueError(f"cannot forbid {dotted!r}: {'.'.join(parts[:cut])} has no such attribute") from None
        return obj, (owner if isinstance(owner, type) else None)
    raise ValueError(f"cannot forbid {dotted!r}: no module of that name can be imported")


def _public_members(module):
    """The functions and classes a module offers: those in its __all__, else its public names
    defined in it."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items()
                 if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__]
    members = [(n, getattr(module, n)) for n in names]
    return [(n, v) for n, v in members if isinstance(v, type) or _plain_function(v) is not None]


def _plain_function(obj):
    """The Python function behind obj (a function, a staticmethod or a classmethod), or None."""
    obj = getattr(obj, "__func__", obj)
    return obj if isinstance(obj, types.FunctionType) else None


class forbidden(contextlib.ContextDecorator):
    """Context manager (and decorator) under which the named library objects refuse to run.

    ``names`` are dotted paths: a function (``"descent.train.minimize"``), a class (every function
    defined in its body refuses, so it can be neither built nor used:
    ``"descent.nn.CrossEntropyLoss"``), one method (``"descent.optim.Adam.step"``, also when
    the class inherits it) or a module (every function and class in its ``__all__``:
    ``"descent.schedules"``). ``instead`` says what to do instead.
    """

    def __init__(self, *names, instead=DEFAULT_INSTEAD):
        if not names:
            raise ValueError("forbidden() needs at least one dotted name")
        if not isinstance(instead, str) or not instead:
            raise ValueError(f"instead must be a non-empty string, got {instead!r}")
        self.names, self.instead = names, instead
        self._undo = []          # one list of undo actions per active `with`, innermost last

    def __enter__(self):
        undo = []
        try:
            for name in self.names:
                obj, owner = _resolve(name)
                if isinstance(obj, types.ModuleType):
                    if obj.__name__ != name:
                        raise ValueError(f"cannot forbid {name}: it is the module {obj.__name__}; "
                                         "name a module by its own name")
                    for member_name, member in _public_members(obj):
                        self._forbid_one(f"{name}.{member_name}", member, None, undo)
                else:
                    self._forbid_one(name, obj, owner, undo)
        except BaseException:
            _run(undo)
            raise
        self._undo.append(undo)
        return self

    def __exit__(self, *exc):
        _run(self._undo.pop())
        return False

    def _forbid_one(self, name, obj, owner, undo):
        if isinstance(obj, type):
            self._forbid_class(name, obj, undo)
        else:
            self._forbid_member(name, obj, owner, undo)

    def _refusing_code(self, name, function):
        code = _stand_in_code(len(function.__code__.co_freevars))
        consts = tuple(name if c == "NAME" else self.instead if c == "INSTEAD" else c for c in code.co_consts)
        return code.replace(co_consts=consts, co_name=function.__code__.co_name,
                            co_qualname=function.__code__.co_qualname)

    def _switch_code(self, name, function, undo):
        original = function.__code__
        function.__code__ = self._refusing_code(name, function)
        undo.append(lambda: setattr(function, "__code__", original))

    def _forbid_class(self, name, cls, undo):
        for attribute, value in list(vars(cls).items()):
            function = _plain_function(value)
            if function is not None:
                self._switch_code(name if attribute == "__init__" else f"{name}.{attribute}", function, undo)
        if "__init__" not in vars(cls):       # an inherited constructor: refuse it on this class
            self._override(name, cls, "__init__", undo)

    def _forbid_member(self, name, obj, owner, undo):
        function = _plain_function(obj)
        if function is None:
            raise ValueError(f"cannot forbid {name}: it is a {type(obj).__name__}, not a function or a class")
        attribute = name.rsplit(".", 1)[1]
        if owner is not None and attribute not in vars(owner):   # inherited: override on this class
            self._override(name, owner, attribute, undo)
        else:
            self._switch_code(name, function, undo)

    def _override(self, name, cls, attribute, undo):
        instead = self.instead

        def refuse(*args, **kwargs):
            _refuse(name, instead)

        try:
            setattr(cls, attribute, refuse)
        except TypeError:
            raise ValueError(f"cannot forbid {name}: {cls.__qualname__} cannot be changed") from None
        undo.append(lambda: delattr(cls, attribute))


def _run(undo):
    """Undo in reverse order, so that nested and repeated bans unwind exactly."""
    for action in reversed(undo):
        action()
    undo.clear()
