"""Put back, before every cell, what the tests rely on and a submission could have changed.

The grading kernel (``kernel.py``) installs this before the notebook's first cell, after
importing numpy and the course library. Before each cell runs (when the kernel receives the
request, and again at IPython's ``pre_run_cell`` event, which fires before the cell's text is
transformed), it restores:

- every function and value of numpy, ``math`` and ``descent`` modules, the methods of their
  classes, and Python's builtins, as they were when the kernel started (``np.allclose = lambda *a, **k: True`` is
  undone before the next cell);
- the names a locked cell bound to those modules (``np = fake`` is undone);
- IPython's machinery: no AST or input transformers (a transformer that wraps every cell in
  ``try``/``except`` or replaces it with ``pass`` is removed before the next cell), the
  compiler, ``sys.displayhook``, ``sys.excepthook``, the output streams, the kernel's message
  handlers, and the methods of the shell, kernel, compiler and display objects and their classes.

This raises the bar; it is not a wall. Code in the same process can undo anything done in that
process (remove this hook itself, for one): see "Security" in INSTRUCTORS.md for what remains.
"""
import builtins
import sys
import types

GUARDED = ("numpy", "descent", "math")


def guarded(name):
    return name.split(".")[0] in GUARDED


class Snapshot:
    """What guarded modules, their classes and the shell held when the kernel started."""

    def __init__(self, shell):
        self.shell = shell
        self.modules = {}
        self.classes = {}
        self.take_modules()
        self.shell_state = {name: getattr(shell, name) for name in
                            ("compile", "displayhook", "display_pub", "input_transformer_manager", "events")}
        self.lists = {name: list(getattr(shell, name)) for name in
                      ("ast_transformers", "input_transformers_cleanup", "input_transformers_post")}
        manager = shell.input_transformer_manager
        self.manager_lists = {name: list(getattr(manager, name)) for name in
                              ("cleanup_transforms", "line_transforms", "token_transformers")}
        self.sys_state = {name: getattr(sys, name) for name in
                          ("displayhook", "excepthook", "stdout", "stderr", "modules", "meta_path", "path_hooks")}
        self.sys_lists = {name: list(getattr(sys, name)) for name in ("meta_path", "path_hooks")}
        kernel = getattr(shell, "kernel", None)
        self.handlers = [(table, dict(table)) for table in
                         (getattr(kernel, "shell_handlers", None), getattr(kernel, "control_handlers", None))
                         if isinstance(table, dict)]
        self.instance_dicts = [(obj, dict(vars(obj))) for obj in self.objects()]
        for obj in self.objects() + [shell.displayhook, shell.display_pub]:
            for cls in type(obj).__mro__[:-1]:
                self.classes.setdefault(cls, dict(vars(cls)))
        self.bound = {}
        self.callback = None

    def objects(self):
        kernel = getattr(self.shell, "kernel", None)
        return [obj for obj in (self.shell, kernel, self.shell.compile) if obj is not None]

    def take_modules(self):
        """Record every guarded module loaded now and not recorded yet, and its classes."""
        for name, module in list(sys.modules.items()):
            if module is None or name in self.modules or not guarded(name):
                continue
            self.modules[name] = (module, dict(vars(module)))
            for value in list(vars(module).values()):
                if isinstance(value, type) and value not in self.classes and guarded(getattr(value, "__module__", "") or ""):
                    self.classes[value] = dict(vars(value))

    def restore(self):
        shell = self.shell
        for name, value in self.sys_state.items():
            if getattr(sys, name) is not value:
                setattr(sys, name, value)
        for name, value in self.sys_lists.items():
            getattr(sys, name)[:] = value
        for table, saved in self.handlers:
            restore_dict(table, saved)
        for name, (module, saved) in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
            restore_dict(vars(module), saved)
        for cls, saved in self.classes.items():
            for key, value in saved.items():
                if key not in ("__dict__", "__weakref__") and callable_like(value) and vars(cls).get(key) is not value:
                    try:
                        setattr(cls, key, value)
                    except (TypeError, AttributeError):
                        pass
        for obj, saved in self.instance_dicts:
            current = vars(obj)
            # an attribute set on the object that hides a method of its class
            for key in [k for k in current if k not in saved and callable(getattr(type(obj), k, None))]:
                del current[key]
            for key, value in saved.items():
                if callable_like(value) and current.get(key) is not value:
                    current[key] = value
        for name, value in self.shell_state.items():
            if getattr(shell, name) is not value:
                setattr(shell, name, value)
        for name, value in self.lists.items():
            getattr(shell, name)[:] = value
        for name, value in self.manager_lists.items():
            getattr(shell.input_transformer_manager, name)[:] = value
        namespace = shell.user_ns
        for name, module in self.bound.items():
            if namespace.get(name) is not module:
                namespace[name] = module
        for name, value in list(namespace.items()):
            if isinstance(value, types.ModuleType) and guarded(value.__name__) and not name.startswith("_"):
                self.bound.setdefault(name, value)
        callbacks = shell.events.callbacks["pre_run_cell"]
        if self.callback not in callbacks:
            callbacks.insert(0, self.callback)


def callable_like(value):
    return callable(value) or isinstance(value, (staticmethod, classmethod, property))


def restore_dict(current, saved):
    """Put back every entry of ``saved`` that changed (entries added since are left alone: modules
    and the shell add some of their own)."""
    for key, value in saved.items():
        if current.get(key, saved) is not value:
            current[key] = value


def install(shell, preload=("numpy", "descent")):
    """Import ``preload``, record the state the tests rely on, and restore it before every cell:
    when the kernel receives the request to run it, and again when IPython starts running it."""
    for name in preload:
        try:
            __import__(name)
        except ImportError:
            pass
    state = {}

    def before_cell(*args, **kwargs):
        snapshot = state["snapshot"]
        snapshot.take_modules()
        snapshot.restore()
        restore_dict(vars(builtins), state["builtins"])

    kernel = getattr(shell, "kernel", None)
    handlers = getattr(kernel, "shell_handlers", {})
    if "execute_request" in handlers:
        received = handlers["execute_request"]

        def execute_request(*args, **kwargs):
            before_cell()
            return received(*args, **kwargs)

        handlers["execute_request"] = execute_request
    state["snapshot"] = snapshot = Snapshot(shell)
    state["builtins"] = dict(vars(builtins))
    snapshot.callback = before_cell
    shell.events.register("pre_run_cell", before_cell)
    return snapshot
