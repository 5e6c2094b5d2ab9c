"""Exact Shapley splits of the change in a product of factors, and their rounding to money.

A cost is a sum of terms, each a product of factor values (traces * share of a trace name * calls per
trace * ... * price). Moving every factor from its old value ``a`` to its new value ``b`` changes a term
by ``Π b - Π a``; the Shapley value gives factor ``i`` its marginal change averaged over every order in
which the factors could have moved:

    φ_i = (b_i - a_i) * Σ_s  s! (k-1-s)! / k!  *  e_s

where ``e_s`` sums, over the ways to choose ``s`` of the other ``k - 1`` factors, the product of the chosen
ones' new values and the rest's old values: the coefficient of ``x^s`` in ``Π_{j≠i} (a_j + b_j*x)``.

Its properties are the explainer's invariants: the parts add up to the change exactly (efficiency); a
factor that did not move gets nothing (dummy), so a change of one factor alone is all that factor's; and
swapping old and new negates every part (the formula is antisymmetric in ``a`` and ``b``). Arithmetic is
in :class:`~fractions.Fraction`, so nothing is lost before the parts are rounded, once, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import factorial, gcd

__all__ = ["MONEY_QUANTUM", "product_shares", "round_parts", "to_money"]

#: Money's precision in the store (Decimal(38, 18)): parts are rounded to it.
MONEY_QUANTUM = Decimal("1e-18")


def _weights(count: int) -> list[int]:
    """``s! (count-1-s)!`` for s = 0 .. count-1: the Shapley weights times ``count!``."""
    return [factorial(s) * factorial(count - 1 - s) for s in range(count)]


_WEIGHTS = [_weights(count) for count in range(16)]


def product_shares(values: Sequence[tuple[str, Fraction, Fraction]]) -> dict[str, Fraction]:
    """The Shapley split of ``Π new - Π old`` over the named factors of one product.

    ``values`` holds (factor, old value, new value), one entry per factor. Factors that did not move get
    nothing and only scale the others: they are left out of the sums, which keeps a term's cost to the
    number of factors that moved. The sums run over integers: each factor's two values over their common
    denominator, every product over the product of those denominators, divided out once at the end (a
    fraction's reduction at every step cost forty times more).
    """
    constant = Fraction(1)
    moved: list[tuple[str, int, int]] = []
    denominator = 1
    for name, old, new in values:
        if old == new:
            constant *= old
            continue
        common = old.denominator * new.denominator // gcd(old.denominator, new.denominator)
        moved.append(
            (name, old.numerator * (common // old.denominator), new.numerator * (common // new.denominator))
        )
        denominator *= common
    if not moved or constant == 0:
        return {}
    count = len(moved)
    weights = _WEIGHTS[count] if count < len(_WEIGHTS) else _weights(count)
    scale = constant / (denominator * factorial(count))
    shares: dict[str, Fraction] = {}
    for index, (name, low, high) in enumerate(moved):
        # Coefficients of Π_{j≠i} (a_j + b_j x), lowest power first.
        polynomial = [1]
        for other, (_, a, b) in enumerate(moved):
            if other != index:
                shifted = [0, *(coefficient * b for coefficient in polynomial)]
                for power, coefficient in enumerate(polynomial):
                    shifted[power] += coefficient * a
                polynomial = shifted
        averaged = sum(w * e for w, e in zip(weights, polynomial, strict=True))
        if averaged:
            shares[name] = shares.get(name, Fraction(0)) + (high - low) * averaged * scale
    return shares


def round_parts(parts: Mapping[str, Fraction], total: Decimal, order: Sequence[str]) -> dict[str, Decimal]:
    """Each part rounded to :data:`MONEY_QUANTUM`, the parts summing exactly to ``total``.

    ``total`` is the exact change, and the exact parts sum to it. Rounding half to even rounds ``-x`` to
    the negation of ``x``'s rounding, and the few quanta rounding leaves over go to the part largest in
    size (ties: the first in ``order``), so swapping old and new still negates every rounded part.
    """
    rounded = {name: to_money(parts.get(name, Fraction(0))) for name in order}
    residual = total - sum(rounded.values(), Decimal(0))
    if residual:
        largest = max(order, key=lambda name: (abs(parts.get(name, Fraction(0))), -order.index(name)))
        rounded[largest] += residual
    return rounded


def to_money(value: Fraction) -> Decimal:
    """``value`` rounded half to even to :data:`MONEY_QUANTUM`, exactly (no detour through a context)."""
    scaled = value * 10**18
    whole, remainder = divmod(scaled.numerator, scaled.denominator)  # floor, remainder >= 0
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and whole % 2):
        whole += 1
    return Decimal(whole).scaleb(-18)
