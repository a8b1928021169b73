using Maximus.Runtime.Embedded;

namespace Maximus.Runtime.Tests.Sqlite;

/// <summary>The embedded runtime's write gate: one owner at a time, no waiter left behind, re-entrant, left only by its owner.</summary>
public sealed class HandOffGateTests
{
    [Fact]
    public void Many_threads_never_hold_the_gate_together()
    {
        var gate = new HandOffGate();
        var inside = 0;
        var overlaps = 0;
        long total = 0;
        var threads = Enumerable.Range(0, 16).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                gate.Enter();
                try
                {
                    if (Interlocked.Increment(ref inside) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    total++; // unsynchronized on purpose: the gate is the only protection
                    Interlocked.Decrement(ref inside);
                }
                finally
                {
                    gate.Exit();
                }
            }
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(0, overlaps);
        Assert.Equal(16 * 2_000, total);
    }

    [Fact]
    public void Waiting_threads_get_the_gate_in_the_order_they_came()
    {
        var gate = new HandOffGate();
        var order = new List<int>();
        gate.Enter();
        var waiters = new List<Thread>();
        for (var n = 0; n < 5; n++)
        {
            var id = n;
            var thread = new Thread(() =>
            {
                gate.Enter();
                order.Add(id);
                gate.Exit();
            });
            thread.Start();
            waiters.Add(thread);

            // The next waiter starts only once this one is queued (sleeping in Enter).
            SpinWait.SpinUntil(() => (thread.ThreadState & ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(10));
        }

        gate.Exit();
        waiters.ForEach(t => t.Join());

        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Fact]
    public void A_waiter_past_the_threshold_is_handed_the_gate_before_a_newcomer()
    {
        var gate = new HandOffGate(TimeSpan.Zero);
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        gate.Enter();
        var waiter = new Thread(() =>
        {
            gate.Enter();
            order.Enqueue("waiter");
            gate.Exit();
        });
        waiter.Start();
        SpinWait.SpinUntil(() => (waiter.ThreadState & ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(10));

        gate.Exit();

        // This thread is running and the waiter still has to wake up: without the hand-over it would take the gate first.
        gate.Enter();
        order.Enqueue("newcomer");
        gate.Exit();
        waiter.Join();
        Assert.Equal(["waiter", "newcomer"], order);
    }

    [Fact]
    public void The_owner_may_enter_again_and_holds_the_gate_until_its_last_exit()
    {
        var gate = new HandOffGate();
        gate.Enter();
        gate.Enter();
        var other = new Thread(() =>
        {
            gate.Enter();
            gate.Exit();
        });
        other.Start();

        gate.Exit();
        Assert.False(other.Join(TimeSpan.FromMilliseconds(200)), "the gate was taken while its owner still held it once");
        gate.Exit();
        Assert.True(other.Join(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_thread_that_does_not_hold_the_gate_cannot_leave_it()
    {
        var gate = new HandOffGate();
        Assert.Throws<SynchronizationLockException>(gate.Exit);

        gate.Enter();
        Exception? error = null;
        var other = new Thread(() => error = Record.Exception(gate.Exit));
        other.Start();
        other.Join();

        Assert.IsType<SynchronizationLockException>(error);
        gate.Exit();
    }
}
