namespace Maximus.Contracts.Ports;

/// <summary>
/// Calls a virtual actor (Dapr actors, or the embedded actor host). What every adapter promises (the conformance suite
/// <c>ActorInvokerConformance</c> checks it on both):
/// <list type="bullet">
/// <item>one instance per actor type and id, activated on first use; state belongs to that type and id only;</item>
/// <item>one call at a time per instance (turn-based): a call waits for the one in progress;</item>
/// <item>the actor's state is saved after each call that returns; a call that throws saves nothing it changed;</item>
/// <item>an exception thrown by the actor's method reaches the caller as <see cref="ActorCallException"/> naming the
/// original exception's type and message (on Dapr the exception object itself does not cross the sidecar, so no
/// adapter passes it through);</item>
/// <item>a type no process hosts is an <see cref="InvalidOperationException"/> naming it;</item>
/// <item><paramref name="cancellationToken"/> ends the caller's wait (for the turn or for the answer) with an
/// <see cref="OperationCanceledException"/>; a call already running in the actor finishes its turn and is saved. A timeout
/// is a token cancelled after the time.</item>
/// </list>
/// </summary>
public interface IActorInvoker
{
    /// <param name="actorType">The registered actor type name.</param>
    /// <param name="actorId">The actor's id (for example an agent id); not empty.</param>
    /// <param name="call">What to do with the actor, through its interface. Arguments and the result cross as JSON.</param>
    /// <param name="cancellationToken">Ends the caller's wait; see the interface's remarks.</param>
    Task<TResult> InvokeAsync<TActorInterface, TResult>(
        string actorType, string actorId, Func<TActorInterface, Task<TResult>> call, CancellationToken cancellationToken = default)
        where TActorInterface : class;
}

/// <summary>An actor's method threw: <see cref="ExceptionType"/> is the full name of what it threw, the message is its message.</summary>
public sealed class ActorCallException(string actorType, string actorId, string exceptionType, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public string ActorType { get; } = actorType;

    public string ActorId { get; } = actorId;

    public string ExceptionType { get; } = exceptionType;
}
