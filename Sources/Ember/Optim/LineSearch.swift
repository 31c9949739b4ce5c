/// The strong-Wolfe line search of `LBFGS` (PyTorch's `_strong_wolfe` and `_cubic_interpolate`).

/// The minimiser of the cubic interpolating `(x1, f1, g1)` and `(x2, f2, g2)`, clamped to `bounds`
/// (by default the interval between the points); the bounds' midpoint when the cubic has none.
func cubicInterpolate(
    _ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
    bounds: (Double, Double)? = nil
) -> Double {
    let (lower, upper) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1 * d1 - g1 * g2
    guard d2Square >= 0 else { return (lower + upper) / 2 }
    let d2 = d2Square.squareRoot()
    let minPos =
        x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minPos, lower), upper)
}

/// One point of the line search: step length, loss, flat gradient and directional derivative.
private struct LinePoint {
    var t: Double
    var f: Double
    var g: Tensor
    var gtd: Double
}

/// Searches along `d` from the parameters `x` for a step satisfying the strong Wolfe conditions,
/// starting at step `t` where the loss is `f`, the flat gradient `g` and the slope `gtd`.
///
/// `objective(x, t, d)` evaluates the loss and flat gradient at `x + t·d` and restores `x`.
/// Returns the loss, flat gradient and step length found, and the number of evaluations.
func strongWolfe(
    from x: [Tensor], t: Double, d: Tensor, f: Double, g: Tensor, gtd: Double, toleranceChange: Double,
    maxLs: Int, c1: Double = 1e-4, c2: Double = 0.9,
    objective: ([Tensor], Double, Tensor) -> (Double, Tensor)
) -> (f: Double, g: Tensor, t: Double, evaluations: Int) {
    let dNorm = d.count == 0 ? 0 : d.abs().max().item()
    func evaluate(_ t: Double) -> LinePoint {
        let (f, g) = objective(x, t, d)
        return LinePoint(t: t, f: f, g: g, gtd: (g * d).sum().item())
    }
    var new = evaluate(t)
    var evaluations = 1
    var prev = LinePoint(t: 0, f: f, g: g, gtd: gtd)
    var done = false
    var iteration = 0
    var bracket: [LinePoint] = []

    // Bracketing phase.
    while iteration < maxLs {
        if new.f > f + c1 * new.t * gtd || (iteration > 1 && new.f >= prev.f) {
            bracket = [prev, new]
            break
        }
        if Swift.abs(new.gtd) <= -c2 * gtd {
            bracket = [new]
            done = true
            break
        }
        if new.gtd >= 0 {
            bracket = [prev, new]
            break
        }
        let bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10)
        let next = cubicInterpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd, bounds: bounds)
        prev = new
        new = evaluate(next)
        evaluations += 1
        iteration += 1
    }
    if iteration == maxLs { bracket = [LinePoint(t: 0, f: f, g: g, gtd: gtd), new] }

    // Zoom phase.
    var insufficientProgress = false
    var (low, high) = bracket[0].f <= bracket[bracket.count - 1].f ? (0, 1) : (1, 0)
    while !done && iteration < maxLs {
        if Swift.abs(bracket[1].t - bracket[0].t) * dNorm < toleranceChange { break }
        var t = cubicInterpolate(
            bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t, bracket[1].f, bracket[1].gtd)
        let (lo, hi) = (min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t))
        let eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps {
            if insufficientProgress || t >= hi || t <= lo {
                t = Swift.abs(t - hi) < Swift.abs(t - lo) ? hi - eps : lo + eps
                insufficientProgress = false
            } else {
                insufficientProgress = true
            }
        } else {
            insufficientProgress = false
        }
        new = evaluate(t)
        evaluations += 1
        iteration += 1
        if new.f > f + c1 * t * gtd || new.f >= bracket[low].f {
            bracket[high] = new
            (low, high) = bracket[0].f <= bracket[1].f ? (0, 1) : (1, 0)
        } else {
            if Swift.abs(new.gtd) <= -c2 * gtd {
                done = true
            } else if new.gtd * (bracket[high].t - bracket[low].t) >= 0 {
                bracket[high] = bracket[low]
            }
            bracket[low] = new
        }
    }
    let best = bracket[low]
    return (best.f, best.g, best.t, evaluations)
}
