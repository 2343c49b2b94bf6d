#!/usr/bin/env python3
"""Reference leader thresholds T = floor(2^256 * (1 - (1 - f)^(s/t))) for test/core/leader-threshold.test.ts.

Each case also carries `spec`: the threshold as protocol/SPEC.md's integer algorithm defines it
(bit-exact, within 1 of the true floor), written here from the SPEC's text, not from the
TypeScript, so the test checks the implementation against the specification.

Computed with Python's `decimal` at 200 significant digits and checked against a second run at
300 digits (the floors must agree, so no case sits within rounding distance of an integer).
s = 0 and s = t are computed exactly with integers. Deterministic: fixed seed, no clock.

Usage: python3 scripts/gen-threshold-reference.py  (writes test/fixtures/threshold-reference.json)
"""
import json
import random
from decimal import Decimal, localcontext, ROUND_FLOOR
from pathlib import Path

TWO_256 = 1 << 256
F_VALUES = [(1, 2), (1, 20), (1, 10), (3, 4), (99, 100), (1, 1000)]
SEED = 20240601


def threshold(s: int, t: int, num: int, den: int, digits: int) -> int:
    if s == 0:
        return 0
    if s == t:
        return (TWO_256 * num) // den
    with localcontext() as ctx:
        ctx.prec = digits
        q = Decimal(den - num) / Decimal(den)
        power = (Decimal(s) / Decimal(t) * q.ln()).exp()
        v = Decimal(TWO_256) * (1 - power)
        return int(v.to_integral_value(rounding=ROUND_FLOOR))


W = 352
SQUARINGS = 9
E = W + SQUARINGS


def spec_atanh2(p: int, q: int) -> int:
    """A(p, q) of SPEC.md: 2 * atanh(p/q) at W fractional bits, floor-rounded term by term."""
    z = (p << W) // q
    z2 = (z * z) >> W
    t, total, k = z, 0, 1
    while t != 0:
        total += t // k
        t = (t * z2) >> W
        k += 2
    return 2 * total


SPEC_LN2 = spec_atanh2(1, 3)


def spec_ln(b: int, a: int) -> int:
    """ln(b/a) for b > a > 0 at W fractional bits, as SPEC.md reduces it."""
    j = b.bit_length() - a.bit_length()
    if b < (a << j):
        j -= 1
    c = a << j
    return j * SPEC_LN2 + spec_atanh2(b - c, b + c)


def spec_threshold(s: int, t: int, num: int, den: int) -> int:
    """The leader threshold exactly as SPEC.md's steps 1-5 define it."""
    if s == 0:
        return 0
    full = (TWO_256 * num) // den
    if s == t or num == den:
        return full
    lam = spec_ln(den, den - num)
    y = min((s * lam) // t, 200 << W)
    term = total = 1 << E
    k = 1
    while term != 0:
        term = (term * y) // (k << E)
        total += term
        k += 1
    for _ in range(SQUARINGS):
        total = (total * total) >> E
    e = (1 << (2 * E)) // total
    return min(((1 << E) - e) >> (E - 256), full)


def pairs(rng: random.Random) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    # s = 0 and s = t
    for t in (1, 7, 10**12, 2**64 - 1):
        out.append((0, t))
        out.append((t, t))
    # tiny stakes
    for s, t in ((1, 10**12), (1, 10**18), (1, 2**64 - 1), (3, 10**15), (1, 10**9), (1, 10**6)):
        out.append((s, t))
    # near 1: (t - 1)/t
    for t in (2, 3, 100, 10**6, 10**12, 2**64 - 1, 10**30):
        out.append((t - 1, t))
    # simple fractions
    for s, t in ((1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (1, 100), (99, 100), (1, 7), (5, 11)):
        out.append((s, t))
    # random-looking large integers
    while len(out) < 62:
        t = rng.randrange(1, 2**64)
        out.append((rng.randrange(0, t + 1), t))
    for _ in range(4):
        t = rng.randrange(2**64, 2**128)
        out.append((rng.randrange(0, t + 1), t))
    return out


# (num, den, stake, total, m): cases whose (1 - f)^alpha is exactly 2^-m, so the true floor is the
# integer 2^256 - 2^(256-m) itself; here an algorithm that only approximates lands on either side,
# and the SPEC's integer algorithm decides which (every implementation must land where it does)
DYADIC = [(3, 4, 1, 2, 1), (15, 16, 1, 4, 1), (15, 16, 1, 2, 2), (15, 16, 3, 4, 3),
          (63, 64, 1, 3, 2), (63, 64, 2, 3, 4), (63, 64, 1, 6, 1), (255, 256, 1, 8, 1),
          (255, 256, 3, 8, 3), (7, 8, 1, 3, 1), (7, 8, 2, 3, 2)]


def main() -> None:
    rng = random.Random(SEED)
    cases = []
    for num, den in F_VALUES:
        for s, t in pairs(rng):
            a = threshold(s, t, num, den, 200)
            b = threshold(s, t, num, den, 300)
            assert a == b, (num, den, s, t)
            spec = spec_threshold(s, t, num, den)
            assert abs(spec - a) <= 1, (num, den, s, t, spec, a)
            cases.append({"fNum": str(num), "fDen": str(den), "stake": str(s), "total": str(t), "threshold": str(a), "spec": str(spec)})
    for num, den, s, t, m in DYADIC:
        exact = TWO_256 - (1 << (256 - m))
        spec = spec_threshold(s, t, num, den)
        assert abs(spec - exact) <= 1, (num, den, s, t, spec, exact)
        cases.append({"fNum": str(num), "fDen": str(den), "stake": str(s), "total": str(t), "threshold": str(exact), "spec": str(spec), "dyadic": True})
    doc = {
        "description": "threshold: T = floor(2^256 * (1 - (1 - fNum/fDen)^(stake/total))); spec: the threshold as protocol/SPEC.md's integer algorithm defines it; exact integers as decimal strings",
        "generator": "scripts/gen-threshold-reference.py (Python decimal, 200 digits, checked at 300)",
        "seed": SEED,
        "cases": cases,
    }
    path = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "threshold-reference.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    # one case per line: readable diffs, small file
    lines = ",\n  ".join(json.dumps(c) for c in cases)
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"}, indent=1)[:-2]
    path.write_text(f'{head},\n "cases": [\n  {lines}\n ]\n}}\n')
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
