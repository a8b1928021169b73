using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.Actors;

/// <summary>
/// What every <see cref="IActorInvoker"/> adapter promises (the port's contract), with <see cref="CounterActor"/>
/// hosted under <see cref="CounterActor.TypeName"/>: calls by type and id, state per id, one call at a time, nothing
/// saved from a failed call, the actor's exception as <see cref="ActorCallException"/>, an unknown type named, and a
/// caller's token that ends only the caller's wait.
/// </summary>
public abstract class ActorInvokerConformance
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract IActorInvoker Actors { get; }

    private static string NewId() => "counter-" + Guid.NewGuid().ToString("N")[..12];

    private Task<int> AddAsync(string id, int amount, CancellationToken cancellationToken = default) =>
        Actors.InvokeAsync<ICounterActor, int>(CounterActor.TypeName, id, a => a.AddAsync(amount), cancellationToken);

    private Task<CounterView> GetAsync(string id) =>
        Actors.InvokeAsync<ICounterActor, CounterView>(CounterActor.TypeName, id, a => a.GetAsync(), Ct);

    [Fact]
    public async Task A_call_reaches_the_actor_of_its_type_and_id_and_its_state_persists_between_calls()
    {
        var id = NewId();

        Assert.Equal(5, await AddAsync(id, 5, Ct));
        Assert.Equal(12, await AddAsync(id, 7, Ct));

        Assert.Equal(new CounterView(id, 12, 2), await GetAsync(id));
    }

    [Fact]
    public async Task Each_actor_id_has_its_own_state()
    {
        var (a, b) = (NewId(), NewId());

        await AddAsync(a, 1, Ct);
        await AddAsync(b, 100, Ct);
        await AddAsync(a, 2, Ct);

        Assert.Equal(new CounterView(a, 3, 2), await GetAsync(a));
        Assert.Equal(new CounterView(b, 100, 1), await GetAsync(b));
        Assert.Equal(new CounterView("never-called-" + a, 0, 0), await GetAsync("never-called-" + a));
    }

    [Fact]
    public async Task Concurrent_calls_to_one_actor_take_turns_and_none_is_lost()
    {
        var id = NewId();

        await Task.WhenAll(Enumerable.Range(1, 10).Select(i =>
            Actors.InvokeAsync<ICounterActor, int>(CounterActor.TypeName, id, a => a.AddSlowlyAsync(i), Ct)));

        Assert.Equal(1, CounterGates.MostInsideAtOnce(id));
        Assert.Equal(new CounterView(id, 55, 10), await GetAsync(id));
    }

    [Fact]
    public async Task An_exception_of_the_actor_reaches_the_caller_as_ActorCallException_naming_its_type_and_message()
    {
        var id = NewId();

        var ex = await Assert.ThrowsAsync<ActorCallException>(() =>
            Actors.InvokeAsync<ICounterActor, int>(CounterActor.TypeName, id, a => a.AddThenFailAsync(3), Ct));

        Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, ex.ExceptionType);
        Assert.Contains("the counter refuses this amount", ex.Message, StringComparison.Ordinal);
        Assert.Equal((CounterActor.TypeName, id), (ex.ActorType, ex.ActorId));
    }

    [Fact]
    public async Task A_failed_call_saves_none_of_its_changes_and_the_actor_keeps_working()
    {
        var id = NewId();
        await AddAsync(id, 10, Ct);

        await Assert.ThrowsAsync<ActorCallException>(() =>
            Actors.InvokeAsync<ICounterActor, int>(CounterActor.TypeName, id, a => a.AddThenFailAsync(1_000), Ct));

        Assert.Equal(11, await AddAsync(id, 1, Ct));
        Assert.Equal(new CounterView(id, 11, 2), await GetAsync(id));
    }

    [Fact]
    public async Task An_actor_type_nobody_hosts_is_an_InvalidOperationException_naming_it()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Actors.InvokeAsync<ICounterActor, int>("NoSuchActor", NewId(), a => a.AddAsync(1), Ct));

        Assert.Contains("NoSuchActor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_caller_stops_waiting_while_the_running_call_finishes_its_turn_and_is_saved()
    {
        var id = NewId();
        using var first = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var held = Actors.InvokeAsync<ICounterActor, int>(CounterActor.TypeName, id, a => a.AddAtGateAsync(1), first.Token);
        await CounterGates.Entered(id).WaitAsync(Ct);

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);

        CounterGates.Release(id);
        Assert.Equal(3, await AddAsync(id, 2, Ct));
    }

    [Fact]
    public async Task A_call_cancelled_while_waiting_for_its_turn_ends_with_OperationCanceledException()
    {
        var id = NewId();
        var held = Actors.InvokeAsync<ICounterActor, int>(CounterActor.TypeName, id, a => a.AddAtGateAsync(1), Ct);
        await CounterGates.Entered(id).WaitAsync(Ct);
        using var second = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var waiting = AddAsync(id, 10, second.Token);
        await second.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        CounterGates.Release(id);
        Assert.Equal(1, await held);
    }

    [Fact]
    public async Task An_empty_actor_id_is_refused()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => AddAsync("", 1, Ct));
    }
}
