"""Classic optimisation test functions (global minimum value 0)."""
import math

from .base import Surface


def _rosenbrock(x, y, xp):
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def _beale(x, y, xp):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(x, y, xp):
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def _rastrigin(x, y, xp):
    tau = 2.0 * math.pi
    return 20.0 + x**2 - 10.0 * xp.cos(tau * x) + y**2 - 10.0 * xp.cos(tau * y)


rosenbrock = Surface(
    "rosenbrock", _rosenbrock, ((-2.0, 2.0), (-1.0, 3.0)), ((-1.5, 2.0), (-1.2, 1.0)), ((1.0, 1.0),),
    "Rosenbrock's banana valley: easy to find, hard to follow",
    r"f=(1-x)^2+100\,(y-x^2)^2",
)
beale = Surface(
    "beale", _beale, ((-4.5, 4.5), (-4.5, 4.5)), ((1.0, 1.5), (-2.0, -2.0)), ((3.0, 0.5),),
    "Beale's function: flat plateaus and sharp ridges",
    r"f=(1.5-x+xy)^2+(2.25-x+xy^2)^2+(2.625-x+xy^3)^2",
)
himmelblau = Surface(
    "himmelblau", _himmelblau, ((-5.0, 5.0), (-5.0, 5.0)), ((0.0, -0.5), (-1.0, 4.5)),
    ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
    "Himmelblau's function: four equal minima; the start decides which one you reach",
    r"f=(x^2+y-11)^2+(x+y^2-7)^2",
)
rastrigin = Surface(
    "rastrigin", _rastrigin, ((-5.12, 5.12), (-5.12, 5.12)), ((3.2, -2.8), (-4.5, 4.5)), ((0.0, 0.0),),
    "Rastrigin's function: a bowl covered in local minima",
    r"f=20+\sum_{v\in\{x,y\}}\left(v^2-10\cos 2\pi v\right)",
)
