using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Dapr;

/// <summary>Calls Dapr actors through JSON-serialising proxies.</summary>
public sealed class DaprActorInvoker(IActorProxyFactory proxies) : IActorInvoker
{
    public static ActorProxyOptions ProxyOptions { get; } = new()
    {
        UseJsonSerialization = true,
        JsonSerializerOptions = new JsonSerializerOptions(MaximusJson.Options),
    };

    public Task<TResult> InvokeAsync<TActorInterface, TResult>(string actorType, string actorId, Func<TActorInterface, Task<TResult>> call)
        where TActorInterface : class
    {
        var proxy = (TActorInterface)proxies.CreateActorProxy(new ActorId(actorId), typeof(TActorInterface), actorType, ProxyOptions);
        return call(proxy);
    }
}
