"""Loss surfaces of two parameters. Pure library: no streamlit here.

    import surfaces
    s = surfaces.get("bowl")     # surfaces.names() lists them
    s(xy)                        # f on a (..., 2) float64 tensor, differentiable by autograd
"""
from .base import Bounds, Point, Surface
from .classic import beale, himmelblau, rastrigin, rosenbrock
from .formula import FormulaError
from .lecture import bowl, cliff, crescent, local_minimum, saddle

_REGISTRY: dict[str, Surface] = {
    s.name: s
    for s in (bowl, crescent, saddle, local_minimum, cliff, rosenbrock, beale, himmelblau, rastrigin)
}


def names() -> list[str]:
    return list(_REGISTRY)


def get(name: str) -> Surface:
    """The surface called `name`; "f:<formula>" parses a custom formula (see surfaces.formula)."""
    if isinstance(name, Surface):
        return name
    if not isinstance(name, str):
        raise ValueError(f"Invalid surface {name!r}: expected a name ({', '.join(_REGISTRY)}) or 'f:<formula>'")
    if name.startswith("f:"):
        from .formula import surface_from_formula

        return surface_from_formula(name[2:])
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown surface {name!r}; choose one of {', '.join(_REGISTRY)}") from None


__all__ = ["Surface", "Bounds", "Point", "FormulaError", "get", "names"] + list(_REGISTRY)
