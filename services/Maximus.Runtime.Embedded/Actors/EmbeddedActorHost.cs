using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;
using Dapr.Actors.Runtime;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Maximus.Runtime.Embedded.Actors;

/// <summary>
/// Hosts the modules' Dapr <see cref="Actor"/> classes in process: one instance per type and id, activated on
/// first use, one call at a time (turn-based, like Dapr), state in SQLite saved after every call.
/// </summary>
public sealed class EmbeddedActorHost : IActorInvoker, IAsyncDisposable
{
    private readonly FrozenDictionary<string, ActorTypeRegistration> _types;
    private readonly ConcurrentDictionary<(string Type, string Id), Lazy<Instance>> _instances = new();
    private readonly IServiceProvider _services;
    private readonly SqliteDatabase _database;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    public EmbeddedActorHost(IEnumerable<ActorTypeRegistration> registrations, IServiceProvider services, SqliteDatabase database, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _types = registrations.ToFrozenDictionary(r => r.ActorTypeName, StringComparer.Ordinal);
        if (_types.Values.FirstOrDefault(r => !typeof(Actor).IsAssignableFrom(r.ActorType) || r.ActorType.IsAbstract) is { } notAnActor)
        {
            throw new InvalidOperationException($"{notAnActor.ActorType.FullName} is registered as an actor class (Dapr.Actors.Runtime.Actor) but is not one.");
        }

        _services = services;
        _database = database;
        _loggerFactory = loggerFactory;
        _time = time;
    }

    public async Task<TResult> InvokeAsync<TActorInterface, TResult>(
        string actorType, string actorId, Func<TActorInterface, Task<TResult>> call, CancellationToken cancellationToken = default)
        where TActorInterface : class
    {
        ArgumentException.ThrowIfNullOrEmpty(actorId);
        ArgumentNullException.ThrowIfNull(call);
        if (!_types.TryGetValue(actorType, out var registration))
        {
            throw new InvalidOperationException($"No actor type '{actorType}' is registered in this process.");
        }

        var instance = _instances.GetOrAdd((actorType, actorId), key => new Lazy<Instance>(() => Create(registration, key.Id))).Value;

        // Cancelled while waiting for its turn, the call never runs; once its turn began, it finishes and is saved
        // whether or not the caller still waits for it (as on Dapr, where the sidecar has the call).
        await instance.Turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await TurnAsync(instance, actorType, actorId, call).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<TResult> TurnAsync<TActorInterface, TResult>(Instance instance, string actorType, string actorId, Func<TActorInterface, Task<TResult>> call)
        where TActorInterface : class
    {
        try
        {
            if (!instance.Activated)
            {
                await instance.Hooks.ActivateAsync().ConfigureAwait(false);
                instance.Activated = true;
            }

            var actor = instance.Actor as TActorInterface
                ?? throw new InvalidOperationException($"Actor type '{actorType}' does not implement {typeof(TActorInterface).Name}.");
            try
            {
                var result = await call(actor).ConfigureAwait(false);
                await instance.StateManager.SaveStateAsync().ConfigureAwait(false);
                return RoundTrip(result);
            }
            catch (Exception ex)
            {
                // As on Dapr: a failed call's unsaved changes are dropped, and the caller learns the exception's type and
                // message, not the exception object (which does not cross a sidecar).
                await instance.StateManager.ClearCacheAsync().ConfigureAwait(false);
                throw new ActorCallException(actorType, actorId, ex.GetType().FullName ?? ex.GetType().Name, ex.Message, ex);
            }
        }
        finally
        {
            instance.Turn.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _instances.Values.Where(l => l.IsValueCreated))
        {
            if (lazy.Value.Activated)
            {
                await lazy.Value.Hooks.DeactivateAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Results cross an actor boundary as JSON on Dapr; the same here, so no caller shares the actor's objects.</summary>
    private static T RoundTrip<T>(T value) =>
        JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(value, MaximusJson.Options), MaximusJson.Options)!;

    private Instance Create(ActorTypeRegistration registration, string actorId)
    {
        // CreateForTest is the SDK's public way to build a host outside its own runtime (the constructor is
        // obsolete for application code); the embedded runtime is exactly that: actors without a sidecar.
        var host = ActorHost.CreateForTest(registration.ActorType, registration.ActorTypeName, new ActorTestOptions
        {
            ActorId = new ActorId(actorId),
            JsonSerializerOptions = MaximusJson.Options,
            LoggerFactory = _loggerFactory,
            ProxyFactory = new ActorProxyFactory(),
        });
        var stateManager = new SqliteActorStateManager(_database, registration.ActorTypeName, actorId, _time);
        var actor = (Actor)ActivatorUtilities.CreateInstance(_services, registration.ActorType, host, stateManager);
        return new Instance(actor, stateManager, new LifecycleHooks(actor));
    }

    private sealed class Instance(Actor actor, IActorStateManager stateManager, LifecycleHooks hooks)
    {
        public Actor Actor { get; } = actor;

        public IActorStateManager StateManager { get; } = stateManager;

        public LifecycleHooks Hooks { get; } = hooks;

        public SemaphoreSlim Turn { get; } = new(1, 1);

        public bool Activated { get; set; }
    }

    /// <summary>Calls the actor's protected activation hooks, as Dapr's runtime does.</summary>
    private sealed class LifecycleHooks(Actor actor)
    {
        private static readonly System.Reflection.MethodInfo Activate =
            typeof(Actor).GetMethod("OnActivateAsync", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;

        private static readonly System.Reflection.MethodInfo Deactivate =
            typeof(Actor).GetMethod("OnDeactivateAsync", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;

        public Task ActivateAsync() => (Task)Activate.Invoke(actor, null)!;

        public Task DeactivateAsync() => (Task)Deactivate.Invoke(actor, null)!;
    }
}
