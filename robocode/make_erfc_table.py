"""Write the polynomial table of ``SkkModel.erfcx`` (robocode/src/skk/ErfcTable.java).

``erfcx(x) = exp(x^2) erfc(x)`` is smooth and slowly varying on ``[0.5, 9]``;
on each piece ``[a, a + 0.5]`` it is interpolated at Chebyshev points by a
polynomial in ``s = x - (a + 0.25)``, with the function values computed in
100-digit decimal arithmetic (the Taylor series of erf, summed exactly
enough to survive its cancellation) and the interpolation system solved in
the same arithmetic.  This is the classic piecewise-polynomial scheme of
libm error functions (W. J. Cody, "Rational Chebyshev approximations for the
error function", Math. Comp. 23, 1969, uses rational fits on a few wide
pieces; many narrow pieces let plain polynomials reach the same accuracy).
The script prints the largest relative error of the double-precision
evaluation against the decimal reference::

    python robocode/make_erfc_table.py > robocode/src/skk/ErfcTable.java
"""

import math
import sys
from decimal import Decimal, getcontext

getcontext().prec = 110
START, WIDTH, PIECES, DEGREE = 0.5, 0.5, 17, 12


def erfcx_decimal(x):
    """exp(x^2) erfc(x) for a double x, to about 60 digits."""
    x = Decimal(x)
    x2 = x * x
    term, total, n = x, x, 0
    while True:  # erf(x) = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))
        n += 1
        term = -term * x2 / n
        add = term / (2 * n + 1)
        total += add
        if abs(add) < Decimal(10) ** -105 and n > 10:
            break
    pi = Decimal(
        "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899"
    )
    erfc = 1 - 2 / pi.sqrt() * total
    return erfc * x2.exp()


def solve(a, b):
    """Gaussian elimination with partial pivoting, in Decimal."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            for k in range(c, n + 1):
                m[r][k] -= f * m[c][k]
    x = [Decimal(0)] * n
    for r in reversed(range(n)):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


def piece(a):
    mid = a + WIDTH / 2
    nodes = [
        mid + 0.5 * WIDTH * math.cos(math.pi * (2 * i + 1) / (2 * (DEGREE + 1)))
        for i in range(DEGREE + 1)
    ]
    rows = [
        [Decimal(x - mid) ** k if k else Decimal(1) for k in range(DEGREE + 1)]
        for x in nodes
    ]
    return mid, [float(c) for c in solve(rows, [erfcx_decimal(x) for x in nodes])]


def horner(c, s):
    v = 0.0
    for ck in reversed(c):
        v = v * s + ck
    return v


def main():
    table = [piece(START + i * WIDTH) for i in range(PIECES)]
    worst = 0.0
    for i, (mid, c) in enumerate(table):
        for j in range(201):
            x = START + i * WIDTH + WIDTH * j / 200
            ref = erfcx_decimal(x)
            worst = max(worst, float(abs((Decimal(horner(c, x - mid)) - ref) / ref)))
    print(f"largest relative error {worst:.2e}", file=sys.stderr)
    rows = ",\n".join(
        "        {" + ", ".join(repr(v) for v in c) + "}" for _, c in table
    )
    print(
        f"""package skk;

/**
 * Polynomials of erfcx(x) = exp(x^2) erfc(x) on [{START}, {START + PIECES * WIDTH}]:
 * piece i covers [{START} + {WIDTH} i, {START} + {WIDTH} (i + 1)) and holds the
 * coefficients, lowest degree first, of a polynomial in
 * x - ({START + WIDTH / 2} + {WIDTH} i).
 * Written by robocode/make_erfc_table.py (largest relative error {worst:.1e}
 * against 100-digit arithmetic); do not edit by hand.
 */
final class ErfcTable {{
    private ErfcTable() {{}}

    static final double START = {START};
    static final double WIDTH = {WIDTH};
    static final double[][] COEFFICIENTS = {{
{rows}
    }};
}}"""
    )


if __name__ == "__main__":
    main()
