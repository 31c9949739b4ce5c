// Splitting a kernel's work across the cores; the thread pool itself is CEmberKernels/parallel.c.
import CEmberKernels

/// The number of cores kernels split their work across.
let kernelThreads = Int(ember_cpu_count())

/// The work (elements touched) from which a kernel splits across cores.
let parallelWorkThreshold = 1 << 15

/// Parts per core for kernels whose work can be cut finely: threads take parts as they come free,
/// so a core that another busy process holds does less of the work.
let finePartsPerCore = 4

/// Calls `body` on consecutive sub-ranges of `0..<count` that together cover it, in parallel across
/// the cores when `work` (elements touched) is large enough to pay for the threads, else once
/// inline. The sub-ranges must be independent. Inside a part of another split kernel (a GEMM in a
/// convolution spread over images), the work runs inline: the cores are already busy.
///
/// `partsPerCore` above 1 cuts the range finer than one part per core: threads take parts as
/// they come free, so a core shared with another busy process does less of the work.
func parallelRanges(_ count: Int, work: Int, partsPerCore: Int = 1, _ body: (Range<Int>) -> Void) {
    let parts = work >= parallelWorkThreshold ? Swift.min(count, kernelThreads * partsPerCore) : 1
    guard parts > 1, ember_parallel_region() == 0 else {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        var job = (count: count, parts: parts, body: body)
        withUnsafeMutablePointer(to: &job) { job in
            ember_parallel_run(
                Int64(parts),
                { context, part in
                    let job = context!.assumingMemoryBound(
                        to: (count: Int, parts: Int, body: (Range<Int>) -> Void).self)
                    let (count, parts, part) = (job.pointee.count, job.pointee.parts, Int(part))
                    job.pointee.body(part * count / parts..<(part + 1) * count / parts)
                }, job)
        }
    }
}
