using System.Globalization;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Maximus.Contracts;
using NSubstitute;

namespace Maximus.Runtime.Tests.StateStores;

/// <summary>
/// A fake Dapr sidecar state API behind a substituted <see cref="DaprClient"/>: a contract test of our own
/// <c>DaprStateStore</c> adapter, not of Dapr. It keeps values in memory with an ETag (a version number) per
/// key and follows the Dapr state store rules the adapter relies on:
/// <list type="bullet">
/// <item>a missing key reads as no value and an empty ETag;</item>
/// <item>a save without ETag is last-write-wins, except with first-write concurrency, where it fails when the key exists
/// (as in the components-contrib conformance test "first-write without etag");</item>
/// <item>a save with an ETag succeeds only when it is the current one (<c>TrySaveStateAsync</c> answers false otherwise);</item>
/// <item>only the component <see cref="Components.StateStore"/> exists.</item>
/// </list>
/// Every call completes asynchronously after a short latency, like a round trip to a real sidecar,
/// so races between concurrent callers happen as they would against daprd.
/// </summary>
public sealed class FakeDaprStateSidecar
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Json, long Version)> _items = new(StringComparer.Ordinal);
    private long _lastVersion;

    public FakeDaprStateSidecar()
    {
        Client = Substitute.For<DaprClient>();
        Client.GetStateAndETagAsync<JsonElement?>(
                Arg.Any<string>(), Arg.Any<string>(), Arg.Any<ConsistencyMode?>(), Arg.Any<IReadOnlyDictionary<string, string>?>(), Arg.Any<CancellationToken>())
            .Returns(call => GetStateAndETagAsync(call.ArgAt<string>(0), call.ArgAt<string>(1)));
        Client.GetStateAsync<JsonElement?>(
                Arg.Any<string>(), Arg.Any<string>(), Arg.Any<ConsistencyMode?>(), Arg.Any<IReadOnlyDictionary<string, string>?>(), Arg.Any<CancellationToken>())
            .Returns(call => GetStateAsync(call.ArgAt<string>(0), call.ArgAt<string>(1)));
        Client.SaveStateAsync<JsonElement>(
                Arg.Any<string>(), Arg.Any<string>(), Arg.Any<JsonElement>(), Arg.Any<StateOptions?>(), Arg.Any<IReadOnlyDictionary<string, string>?>(), Arg.Any<CancellationToken>())
            .Returns(call => SaveStateAsync(call.ArgAt<string>(0), call.ArgAt<string>(1), call.ArgAt<JsonElement>(2), call.ArgAt<StateOptions?>(3)));
        Client.TrySaveStateAsync<JsonElement>(
                Arg.Any<string>(), Arg.Any<string>(), Arg.Any<JsonElement>(), Arg.Any<string>(), Arg.Any<StateOptions?>(), Arg.Any<IReadOnlyDictionary<string, string>?>(), Arg.Any<CancellationToken>())
            .Returns(call => TrySaveStateAsync(call.ArgAt<string>(0), call.ArgAt<string>(1), call.ArgAt<JsonElement>(2), call.ArgAt<string>(3)));
        Client.DeleteStateAsync(
                Arg.Any<string>(), Arg.Any<string>(), Arg.Any<StateOptions?>(), Arg.Any<IReadOnlyDictionary<string, string>?>(), Arg.Any<CancellationToken>())
            .Returns(call => DeleteStateAsync(call.ArgAt<string>(0), call.ArgAt<string>(1)));
    }

    /// <summary>The substituted client to give to the adapter under test.</summary>
    public DaprClient Client { get; }

    private async Task<(JsonElement?, string)> GetStateAndETagAsync(string storeName, string key)
    {
        await RoundTripAsync(storeName).ConfigureAwait(false);
        lock (_gate)
        {
            return _items.TryGetValue(key, out var item)
                ? (Parse(item.Json), item.Version.ToString(CultureInfo.InvariantCulture))
                : (null, "");
        }
    }

    private async Task<JsonElement?> GetStateAsync(string storeName, string key) =>
        (await GetStateAndETagAsync(storeName, key).ConfigureAwait(false)).Item1;

    private async Task SaveStateAsync(string storeName, string key, JsonElement value, StateOptions? options)
    {
        await RoundTripAsync(storeName).ConfigureAwait(false);
        lock (_gate)
        {
            if (options?.Concurrency == ConcurrencyMode.FirstWrite && _items.ContainsKey(key))
            {
                throw new DaprException(
                    $"State operation failed: the Dapr endpoint indicated a failure. failed saving state in state store {storeName}: possible etag mismatch (first-write, key '{key}' exists).");
            }

            _items[key] = (value.GetRawText(), ++_lastVersion);
        }
    }

    private async Task<bool> TrySaveStateAsync(string storeName, string key, JsonElement value, string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        await RoundTripAsync(storeName).ConfigureAwait(false);
        lock (_gate)
        {
            if (!_items.TryGetValue(key, out var item) || item.Version.ToString(CultureInfo.InvariantCulture) != etag)
            {
                return false;
            }

            _items[key] = (value.GetRawText(), ++_lastVersion);
            return true;
        }
    }

    private async Task DeleteStateAsync(string storeName, string key)
    {
        await RoundTripAsync(storeName).ConfigureAwait(false);
        lock (_gate)
        {
            _items.Remove(key);
        }
    }

    private static async Task RoundTripAsync(string storeName)
    {
        await Task.Delay(Latency).ConfigureAwait(false);
        if (storeName != Components.StateStore)
        {
            throw new DaprException($"State operation failed: state store {storeName} is not found.");
        }
    }

    private static JsonElement Parse(string json) => JsonSerializer.Deserialize<JsonElement>(json);
}
