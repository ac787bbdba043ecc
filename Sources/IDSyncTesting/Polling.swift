/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held, and how
/// long it took (tests print the figure).
public func eventually(timeout: Duration, interval: Duration = .milliseconds(200),
                       _ condition: () async throws -> Bool) async throws -> (held: Bool, after: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    while true {
        if try await condition() { return (true, clock.now - start) }
        if clock.now - start > timeout { return (false, clock.now - start) }
        try await Task.sleep(for: interval)
    }
}
