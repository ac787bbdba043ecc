import Testing

extension Trait where Self == TimeLimitTrait {
    /// On every integration suite: a test that hangs (a wait for something that never comes) fails with its
    /// name instead of holding the whole run until CI gives up. It is no test of speed: the slowest test here
    /// takes about 11 minutes on a loaded two-core machine, and waits are for events, not for this.
    static var hangGuard: Self { .timeLimit(.minutes(30)) }
}
