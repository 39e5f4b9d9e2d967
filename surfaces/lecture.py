"""Surfaces built to show the lectures' claims (calibrations are checked in tests/test_surfaces.py).
Each formula is written once, as a tree (surfaces/expr.py)."""
from .base import Surface
from .expr import X, Y, logcosh, sigmoid

bowl = Surface(
    name="bowl",
    # Flat along x (curvature 1), steep walls along y: 100·logcosh(2y) has slope at most 200, so
    # GD with η=1e-2 settles into a bounce y → -y at |y|≈0.96 (η·200 = 2), and curvature 400 at the
    # floor lets η=1e-7 settle in y within 1e5 steps while x moves only 1 - e^{-0.01} ≈ 1 % of the way.
    tree=(0.5 * X**2 + 100.0 * logcosh(2.0 * Y)).tree,
    formula=None,
    bounds=((-10.0, 10.0), (-3.0, 3.0)),
    starts=((-8.0, 2.0), (8.0, -2.5)),
    minima=((0.0, 0.0),),
    description="Elongated convex bowl: flat along x, steep walls along y (the lecture's stuck-training example)",
    latex=r"f(x,y)=\tfrac12 x^2 + 100\,\log\cosh(2y)",
)

crescent = Surface(
    name="crescent",
    # A parabola-shaped valley y = x²/2 whose steepness across the valley (in y) falls from about
    # 20 to about 0.5 on the way from x=-3 to the minimum at (2, 2).
    tree=(0.5 * (0.5 + 20.0 * sigmoid(-2.0 * X)) * (Y - 0.5 * X**2) ** 2 + 0.1 * (X - 2.0) ** 2).tree,
    formula=None,
    bounds=((-4.0, 3.5), (-1.0, 8.0)),
    starts=((-3.0, 6.0), (-3.5, 3.0)),
    minima=((2.0, 2.0),),
    description="Crescent-shaped valley whose steepness across it changes along the path (why RMSProp)",
    latex=r"f=\tfrac12\,(0.5+20\,\mathrm{sigmoid}(-2x))\,(y-\tfrac12x^2)^2+0.1\,(x-2)^2",
)

saddle = Surface(
    name="saddle",
    # Along x: f' = x²(x-2) — a flat critical point at x=0 that is not a minimum (the slope keeps
    # pointing to +x on both sides), then the minimum at x=2. Shifted so the minimum is 0.
    tree=(0.25 * X**4 - (2.0 / 3.0) * X**3 + 4.0 / 3.0 + Y**2).tree,
    formula=None,
    bounds=((-2.0, 3.0), (-2.0, 2.0)),
    starts=((-1.5, 1.0),),
    minima=((2.0, 0.0),),
    description="A flat saddle point at (0, 0), where the gradient is 0 but f goes on falling along x, on the way "
                "to the minimum: GD stalls there, momentum rolls on",
    latex=r"f=\tfrac14x^4-\tfrac23x^3+\tfrac43+y^2",
)

local_minimum = Surface(
    name="local_minimum",
    # Along x: f' = x(x-1)(x-3) — a shallow minimum at 0, a bump at 1, the deep minimum at 3.
    tree=(0.25 * X**4 - (4.0 / 3.0) * X**3 + 1.5 * X**2 + 2.25 + Y**2).tree,
    formula=None,
    bounds=((-2.0, 4.0), (-2.0, 2.0)),
    starts=((-1.5, 1.0),),
    minima=((3.0, 0.0), (0.0, 0.0)),
    description="A small local minimum at x=0 beside a deeper one at x=3: a ball with momentum rolls over the bump",
    latex=r"f=\tfrac14x^4-\tfrac43x^3+\tfrac32x^2+\tfrac94+y^2",
)

cliff = Surface(
    name="cliff",
    # A gentle bowl whose minimum sits at the foot of a wall 50 high and 1/30 wide at x=1:
    # the wall's slope reaches 50·30/4 = 375, so one step onto it throws the point far back.
    tree=(0.5 * X**2 + 0.5 * Y**2 + 50.0 * sigmoid(30.0 * (X - 1.0))).tree,
    formula=None,
    bounds=((-6.0, 3.0), (-3.0, 3.0)),
    starts=((-4.0, 1.5),),
    minima=((0.0, 0.0),),
    description="A bowl with a cliff right behind its minimum: the gradient explodes on the wall (why clipping)",
    latex=r"f=\tfrac12(x^2+y^2)+50\,\mathrm{sigmoid}(30(x-1))",
)
