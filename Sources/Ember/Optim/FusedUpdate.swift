#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Driving the fused update kernels of `CEmberKernels/optim.c`: one pass over the contiguous memory
/// of a parameter, its gradient and its state, split across cores for large parameters.

/// The memory of a fused update's operands (parameter, gradient, state tensors), advanced to the
/// first element of the chunk being processed. Absent optional operands are `nil`.
struct UpdateOperands {
    /// The element type of every operand.
    let dtype: DType
    private let pointers: [UnsafeMutableRawPointer?]

    init(dtype: DType, pointers: [UnsafeMutableRawPointer?]) {
        self.dtype = dtype
        self.pointers = pointers
    }

    /// The operands advanced by `start` elements.
    func advanced(by start: Int) -> UpdateOperands {
        let offset = start * dtype.itemSize
        return UpdateOperands(dtype: dtype, pointers: pointers.map { $0.map { $0 + offset } })
    }

    /// Operand `i` as typed memory (`nil` when absent).
    subscript<T: TensorScalar>(_ i: Int, _: T.Type) -> UnsafeMutablePointer<T>? {
        pointers[i]?.assumingMemoryBound(to: T.self)
    }
}

/// Parameters with at least this many elements are updated by several threads.
let parallelUpdateThreshold = 65_536

/// Runs `kernel(count, operands)` over `parameter`, its `gradient` and `state` (operands 0, 1,
/// 2...; `nil` state entries stay `nil`) and bumps the parameter's version, as an in-place op does.
///
/// The gradient is read contiguously (copied if it is a strided view); a non-contiguous parameter
/// is updated through a contiguous copy written back at the end. State tensors are contiguous by
/// construction. Large parameters are split into chunks processed concurrently.
func fusedUpdate(
    _ parameter: Tensor, gradient: Tensor, state: [Tensor?],
    kernel: (_ count: Int, _ operands: UpdateOperands) -> Void
) {
    precondition(
        parameter.dtype.isFloatingPoint && gradient.dtype == parameter.dtype,
        "optimizer step: parameter and gradient must share a floating-point dtype, got \(parameter.dtype) and "
            + "\(gradient.dtype)"
    )
    let target = parameter.isContiguous ? parameter : parameter.detach().contiguous()
    // The kernels take `restrict` pointers: a gradient sharing the parameter's memory is copied.
    let grad = gradient.storage === parameter.storage ? gradient.detach().clone() : gradient.detach().contiguous()
    let operands = UpdateOperands(
        dtype: parameter.dtype,
        pointers: ([target, grad] + state).map { t in
            t.map { UnsafeMutableRawPointer($0.storage.data) + $0.storageOffset * $0.dtype.itemSize }
        })
    parallelRanges(
        target.count, work: target.count >= parallelUpdateThreshold ? .max : 0, partsPerCore: finePartsPerCore
    ) { range in
        kernel(range.count, operands.advanced(by: range.lowerBound))
    }
    if target !== parameter { parameter.detach().copy(from: target) }
    parameter.bumpVersion()
}

/// `base^exponent` as Python's `float.__pow__` computes it (the C library's `pow`).
func power(_ base: Double, _ exponent: Double) -> Double { pow(base, exponent) }
