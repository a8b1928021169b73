using Microsoft.Extensions.Time.Testing;

namespace Maximus.Llm.Tests.Support;

/// <summary>A fake clock that also tells which timers were started, so a test advances time only once a wait is scheduled.</summary>
internal sealed class ObservedTimeProvider : FakeTimeProvider
{
    private readonly List<TimeSpan> _dueTimes = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_dueTimes)
        {
            _dueTimes.Add(dueTime);
        }

        return base.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>Waits (really, at most 5 s) until a timer due after <paramref name="dueTime"/> has been started.</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime)
    {
        for (var i = 0; i < 500; i++)
        {
            lock (_dueTimes)
            {
                if (_dueTimes.Contains(dueTime))
                {
                    return;
                }
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"No timer due after {dueTime} was started within 5 s.");
    }
}
