namespace Maximus.Contracts.Ports;

/// <summary>
/// Calls a virtual actor (Dapr actors, or the embedded actor host): one instance per actor type and id,
/// one call at a time, state saved after each call.
/// </summary>
public interface IActorInvoker
{
    /// <param name="actorType">The registered actor type name.</param>
    /// <param name="actorId">The actor's id (for example an agent id).</param>
    /// <param name="call">What to do with the actor, through its interface.</param>
    Task<TResult> InvokeAsync<TActorInterface, TResult>(string actorType, string actorId, Func<TActorInterface, Task<TResult>> call)
        where TActorInterface : class;
}
