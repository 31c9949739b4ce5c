/// Whether operations are recorded for differentiation. Task-local, so `noGrad { }` in one task
/// does not affect another, and nested blocks restore the outer mode.
public enum GradMode {
    /// `true` unless inside `noGrad { }` (`torch.is_grad_enabled()`).
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording operations for autograd (`with torch.no_grad():`).
@discardableResult
public func noGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` with autograd recording on, even inside `noGrad` (`with torch.enable_grad():`).
@discardableResult
public func enableGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$isEnabled.withValue(true, operation: body)
}
