"""Classic optimisation test functions (global minimum value 0), each written once as a tree."""
import math

from .base import Surface
from .expr import X, Y, cos

_TAU = 2.0 * math.pi

rosenbrock = Surface(
    "rosenbrock", None, ((-2.0, 2.0), (-1.0, 3.0)), ((-1.5, 2.0), (-1.2, 1.0)), ((1.0, 1.0),),
    "Rosenbrock's banana valley: easy to find, hard to follow",
    r"f=(1-x)^2+100\,(y-x^2)^2",
    tree=((1.0 - X) ** 2 + 100.0 * (Y - X**2) ** 2).tree,
)
beale = Surface(
    "beale", None, ((-4.5, 4.5), (-4.5, 4.5)), ((1.0, 1.5), (-2.0, -2.0)), ((3.0, 0.5),),
    "Beale's function: flat plateaus and sharp ridges",
    r"f=\sum_{i=1}^{3}\left(c_i-x+xy^i\right)^2,\quad c=(1.5,\ 2.25,\ 2.625)",  # narrow enough for a phone
    tree=((1.5 - X + X * Y) ** 2 + (2.25 - X + X * Y**2) ** 2 + (2.625 - X + X * Y**3) ** 2).tree,
)
himmelblau = Surface(
    "himmelblau", None, ((-5.0, 5.0), (-5.0, 5.0)), ((0.0, -0.5), (-1.0, 4.5)),
    ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
    "Himmelblau's function: four equal minima; the start decides which one you reach",
    r"f=(x^2+y-11)^2+(x+y^2-7)^2",
    tree=((X**2 + Y - 11.0) ** 2 + (X + Y**2 - 7.0) ** 2).tree,
)
rastrigin = Surface(
    "rastrigin", None, ((-5.12, 5.12), (-5.12, 5.12)), ((3.2, -2.8), (-4.5, 4.5)), ((0.0, 0.0),),
    "Rastrigin's function: a bowl covered in local minima",
    r"f=20+\sum_{v\in\{x,y\}}\left(v^2-10\cos 2\pi v\right)",
    tree=(20.0 + X**2 - 10.0 * cos(_TAU * X) + Y**2 - 10.0 * cos(_TAU * Y)).tree,
)
