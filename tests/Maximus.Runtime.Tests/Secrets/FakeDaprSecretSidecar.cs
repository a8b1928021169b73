using Dapr;
using Dapr.Client;
using Grpc.Core;
using Maximus.Contracts;
using NSubstitute;

namespace Maximus.Runtime.Tests.Secrets;

/// <summary>
/// A fake Dapr sidecar secrets API behind a substituted <see cref="DaprClient"/>: a contract test of our own
/// <c>DaprSecretStore</c> adapter, not of Dapr. It holds secrets in memory, answers a secret as a one-entry map (as
/// the <c>local.file</c> and Kubernetes components do for a plain value), a missing key as gRPC NotFound wrapped in a
/// <see cref="DaprException"/>, and knows only the component <see cref="Components.SecretStore"/> (any other name is
/// an error, not a missing secret).
/// </summary>
public sealed class FakeDaprSecretSidecar
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _secrets = new(StringComparer.Ordinal);

    public FakeDaprSecretSidecar()
    {
        Client = Substitute.For<DaprClient>();
        Client.GetSecretAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<IReadOnlyDictionary<string, string>?>(), Arg.Any<CancellationToken>())
            .Returns(call => GetSecretAsync(call.ArgAt<string>(0), call.ArgAt<string>(1)));
    }

    public DaprClient Client { get; }

    public void Set(string name, string value)
    {
        lock (_gate)
        {
            _secrets[name] = value;
        }
    }

    private async Task<Dictionary<string, string>> GetSecretAsync(string storeName, string key)
    {
        await Task.Delay(1).ConfigureAwait(false);
        if (storeName != Components.SecretStore)
        {
            throw new DaprException($"Secret operation failed: secret store {storeName} not found.",
                new RpcException(new Status(StatusCode.InvalidArgument, $"failed finding secret store with key {storeName}")));
        }

        lock (_gate)
        {
            return _secrets.TryGetValue(key, out var value)
                ? new Dictionary<string, string> { [key] = value }
                : throw new DaprException("Secret operation failed: the Dapr endpoint indicated a failure.",
                    new RpcException(new Status(StatusCode.NotFound, $"secret {key} not found")));
        }
    }
}
