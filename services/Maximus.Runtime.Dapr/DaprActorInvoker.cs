using System.Text.Json;
using Dapr;
using Dapr.Actors;
using Dapr.Actors.Client;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Dapr;

/// <summary>
/// Calls Dapr actors through JSON-serialising proxies, and maps what crosses the sidecar to the port's errors: the actor's
/// exception (an <see cref="ActorMethodInvocationException"/> carrying the remote type and message) to
/// <see cref="ActorCallException"/>, a type no app hosts to <see cref="InvalidOperationException"/>.
/// </summary>
/// <param name="httpEndpoint">The sidecar's HTTP endpoint; null: Dapr's default (<c>DAPR_HTTP_ENDPOINT</c> or <c>DAPR_HTTP_PORT</c>).</param>
public sealed class DaprActorInvoker(IActorProxyFactory proxies, string? httpEndpoint = null) : IActorInvoker
{
    public static ActorProxyOptions ProxyOptions { get; } = new()
    {
        UseJsonSerialization = true,
        JsonSerializerOptions = new JsonSerializerOptions(MaximusJson.Options),
    };

    private readonly ActorProxyOptions _options = httpEndpoint is null ? ProxyOptions : new()
    {
        UseJsonSerialization = ProxyOptions.UseJsonSerialization,
        JsonSerializerOptions = ProxyOptions.JsonSerializerOptions,
        HttpEndpoint = httpEndpoint,
    };

    public async Task<TResult> InvokeAsync<TActorInterface, TResult>(
        string actorType, string actorId, Func<TActorInterface, Task<TResult>> call, CancellationToken cancellationToken = default)
        where TActorInterface : class
    {
        ArgumentException.ThrowIfNullOrEmpty(actorId);
        ArgumentNullException.ThrowIfNull(call);
        var proxy = (TActorInterface)proxies.CreateActorProxy(new ActorId(actorId), typeof(TActorInterface), actorType, _options);
        try
        {
            // The proxy's methods take no token: the caller stops waiting, the sidecar still has the call.
            return await call(proxy).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ActorMethodInvocationException ex) when (ex.InnerException is ActorInvokeException remote)
        {
            throw new ActorCallException(actorType, actorId, remote.ActualExceptionType, remote.Message, ex);
        }
        catch (DaprApiException ex) when (ex.ErrorCode is "ERR_ACTOR_INSTANCE_MISSING" || ex.Message.Contains("did not find address for actor", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"No actor type '{actorType}' is hosted by any app: {ex.Message}", ex);
        }
    }
}
