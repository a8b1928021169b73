using System.Collections.Concurrent;
using Dapr.Actors;
using Dapr.Actors.Runtime;

namespace Maximus.Runtime.Tests.Actors;

public sealed record CounterView(string ActorId, int Total, int Calls);

/// <summary>The actor the actor conformance suite calls on every runtime: a per-id counter, kept in actor state.</summary>
public interface ICounterActor : IActor
{
    Task<int> AddAsync(int amount);

    Task<CounterView> GetAsync();

    /// <summary>Adds, then throws <see cref="ArgumentOutOfRangeException"/>: nothing of the call may be saved.</summary>
    Task<int> AddThenFailAsync(int amount);

    /// <summary>Adds after a short pause, counting how many calls are inside this actor at once.</summary>
    Task<int> AddSlowlyAsync(int amount);

    /// <summary>Adds once <see cref="CounterGates"/> lets the call through.</summary>
    Task<int> AddAtGateAsync(int amount);
}

public sealed class CounterActor(ActorHost host, IActorStateManager? stateManager = null) : Actor(host), ICounterActor
{
    public const string TypeName = nameof(CounterActor);
    private const string TotalKey = "total";
    private const string CallsKey = "calls";

    private IActorStateManager State => stateManager ?? StateManager;

    public async Task<int> AddAsync(int amount)
    {
        var total = await State.GetOrAddStateAsync(TotalKey, 0) + amount;
        await State.SetStateAsync(TotalKey, total);
        await State.SetStateAsync(CallsKey, await State.GetOrAddStateAsync(CallsKey, 0) + 1);
        return total;
    }

    public async Task<CounterView> GetAsync() =>
        new(Id.GetId(), await State.GetOrAddStateAsync(TotalKey, 0), await State.GetOrAddStateAsync(CallsKey, 0));

    public async Task<int> AddThenFailAsync(int amount)
    {
        await AddAsync(amount);
        throw new ArgumentOutOfRangeException(nameof(amount), amount, "the counter refuses this amount");
    }

    public async Task<int> AddSlowlyAsync(int amount)
    {
        CounterGates.Enter(Id.GetId());
        try
        {
            await Task.Delay(20);
            return await AddAsync(amount);
        }
        finally
        {
            CounterGates.Leave(Id.GetId());
        }
    }

    public async Task<int> AddAtGateAsync(int amount)
    {
        await CounterGates.PassAsync(Id.GetId());
        return await AddAsync(amount);
    }
}

/// <summary>Per actor id (unique per test): a gate calls wait at, and how many calls were inside the actor at once.</summary>
public static class CounterGates
{
    private static readonly ConcurrentDictionary<string, GateState> Gates = new(StringComparer.Ordinal);

    public static Task Entered(string actorId) => Of(actorId).Entered.Task;

    public static void Release(string actorId) => Of(actorId).Release.TrySetResult();

    public static int MostInsideAtOnce(string actorId) => Of(actorId).Most;

    internal static async Task PassAsync(string actorId)
    {
        var gate = Of(actorId);
        gate.Entered.TrySetResult();
        await gate.Release.Task.ConfigureAwait(false);
    }

    internal static void Enter(string actorId)
    {
        var gate = Of(actorId);
        lock (gate)
        {
            gate.Inside++;
            gate.Most = Math.Max(gate.Most, gate.Inside);
        }
    }

    internal static void Leave(string actorId)
    {
        var gate = Of(actorId);
        lock (gate)
        {
            gate.Inside--;
        }
    }

    private static GateState Of(string actorId) => Gates.GetOrAdd(actorId, _ => new GateState());

    private sealed class GateState
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Inside { get; set; }

        public int Most { get; set; }
    }
}
