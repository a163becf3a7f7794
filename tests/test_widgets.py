import ipywidgets
import matplotlib.pyplot as plt

from descent import problems, widgets


def test_lr_explorer_builds_its_sliders_and_redraws_without_a_front_end():
    f = problems.quadratic(condition_number=10)
    demo = widgets.lr_explorer(f, lr=0.05, steps=20)
    assert isinstance(demo, ipywidgets.interactive)
    names = [child.description for child in demo.children if hasattr(child, "description")]
    assert names[:4] == ["η", "start θ₁", "start θ₂", "steps"]
    demo.children[0].value = 0.1
    demo.update()
    plt.close("all")
