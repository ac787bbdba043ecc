import Dispatch

/// A serial executor that runs its jobs on a private dispatch queue.
///
/// libldap's synchronous calls block their thread on the network for as long as the server takes. Run on
/// Swift's cooperative pool (one thread per core) a few of them would stall every task in the process; on a
/// dispatch queue they only hold a thread of Dispatch's, which makes more when threads block. Being a
/// `SerialExecutor`, it lets ``LDAPHandle`` be an actor, so the compiler rather than a comment enforces that
/// a handle is used by one thread at a time.
final class DispatchQueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async {
            job.runSynchronously(on: self.asUnownedSerialExecutor())
        }
    }

    func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }
}
