using Dapr.Client;
using Maximus.Contracts;
using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Dapr;

/// <summary>Secrets from the Dapr secret store <see cref="Components.SecretStore"/>.</summary>
public sealed class DaprSecretStore(DaprClient dapr) : ISecretStore
{
    public async Task<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var values = await dapr.GetSecretAsync(Components.SecretStore, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return values.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : values.Values.FirstOrDefault(v => !string.IsNullOrEmpty(v));
        }
        catch (global::Dapr.DaprException ex) when (ex.InnerException is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument })
        {
            return null;
        }
    }
}
