using System.Text.Json;
using Dapr;
using Dapr.Client;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Dapr;

/// <summary>The key/value state port on a Dapr state store (<see cref="Components.StateStore"/>).</summary>
public sealed class DaprStateStore(DaprClient dapr) : IStateStore
{
    public async Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        Deserialize<T>(await dapr.GetStateAsync<JsonElement?>(Components.StateStore, key, cancellationToken: cancellationToken).ConfigureAwait(false));

    public async Task<(T? Value, string? ETag)> GetWithETagAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var (value, etag) = await dapr.GetStateAndETagAsync<JsonElement?>(Components.StateStore, key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return value is null ? (default, null) : (Deserialize<T>(value), string.IsNullOrEmpty(etag) ? null : etag);
    }

    public Task SaveAsync<T>(string key, T value, CancellationToken cancellationToken = default) =>
        dapr.SaveStateAsync(Components.StateStore, key, Serialize(value), cancellationToken: cancellationToken);

    public async Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken = default)
    {
        if (etag is null)
        {
            // Dapr has no "create only": with first-write concurrency, a read then a guarded write closes
            // most of the window; the state store's own ETag check catches the rest on the next update.
            var (_, existing) = await dapr.GetStateAndETagAsync<JsonElement?>(Components.StateStore, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(existing))
            {
                return false;
            }

            try
            {
                await dapr.SaveStateAsync(Components.StateStore, key, Serialize(value), new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                return true;
            }
            catch (DaprException)
            {
                // The store refuses a first write on a key that exists: someone created it meanwhile.
                var (_, now) = await dapr.GetStateAndETagAsync<JsonElement?>(Components.StateStore, key, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!string.IsNullOrEmpty(now))
                {
                    return false;
                }

                throw;
            }
        }

        return await dapr.TrySaveStateAsync(Components.StateStore, key, Serialize(value), etag, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        dapr.DeleteStateAsync(Components.StateStore, key, cancellationToken: cancellationToken);

    private static JsonElement Serialize<T>(T value) => JsonSerializer.SerializeToElement(value, MaximusJson.Options);

    private static T? Deserialize<T>(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } e ? e.Deserialize<T>(MaximusJson.Options) : default;
}
