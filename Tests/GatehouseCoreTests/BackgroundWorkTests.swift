import Synchronization
import Testing

@testable import GatehouseCore

@Suite("Background work: one bounded queue instead of a detached task per request")
struct BackgroundWorkTests {
    final class Tally: Sendable {
        let state = Mutex((runs: [Int: Int](), running: 0, most: 0))

        func start(_ job: Int) {
            state.withLock { state in
                state.runs[job, default: 0] += 1
                state.running += 1
                state.most = max(state.most, state.running)
            }
        }

        func end() { state.withLock { $0.running -= 1 } }
    }

    @Test("a flood past the limit is dropped and counted; what was accepted runs once, `concurrency` at a time at most")
    func boundedQueue() async {
        let work = BackgroundWork(limit: 100, concurrency: 3)
        let tally = Tally()
        var accepted = 0
        for job in 0..<1_000 {
            let ok = work.submit("test") {
                tally.start(job)
                try? await Task.sleep(for: .milliseconds(1))
                tally.end()
            }
            if ok { accepted += 1 }
        }
        #expect(accepted == 100)
        #expect(work.droppedCount == 900)
        let runner = Task { await work.run() }
        work.finish()
        await runner.value
        let (runs, _, most) = tally.state.withLock { $0 }
        // The oldest jobs are kept: the first hundred, each run once.
        #expect(runs.keys.sorted() == Array(0..<100))
        #expect(runs.values.allSatisfy { $0 == 1 })
        #expect(most <= 3)
        #expect(most >= 2)
    }

    @Test("after finish() nothing is taken, long jobs see isStopping, and run() returns once the queue is done")
    func finishDrains() async {
        let work = BackgroundWork(limit: 10, concurrency: 2)
        let runner = Task { await work.run() }
        let sawStop = Mutex(false)
        let started = Mutex(false)
        #expect(
            work.submit("long") {
                started.withLock { $0 = true }
                while !work.isStopping { try? await Task.sleep(for: .milliseconds(5)) }
                sawStop.withLock { $0 = true }
            })
        while !started.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(!work.isStopping)
        work.finish()
        #expect(!work.submit("late") {})
        await runner.value
        #expect(sawStop.withLock { $0 })
    }

    @Test("the trace budget gives its rate a second, refills with time, holds a second at most; `all` never refuses")
    func traceBudget() {
        let start = ContinuousClock.now
        let budget = TraceBudget(perSecond: 5, now: start)
        #expect((0..<50).filter { _ in budget.take(at: start) }.count == 5)
        #expect((0..<50).filter { _ in budget.take(at: start + .milliseconds(400)) }.count == 2)
        #expect((0..<50).filter { _ in budget.take(at: start + .seconds(60)) }.count == 5)
        let unlimited = TraceBudget(perSecond: nil)
        #expect((0..<1_000).allSatisfy { _ in unlimited.take() })
    }
}
