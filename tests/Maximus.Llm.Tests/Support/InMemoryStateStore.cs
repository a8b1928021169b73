using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Llm.Tests.Support;

/// <summary>The state port in memory, with JSON round trips and ETags like the real adapters.</summary>
internal sealed class InMemoryStateStore : IStateStore
{
    private readonly ConcurrentDictionary<string, (string Json, long Version)> _items = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Keys => _items.Keys.ToList();

    public async Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        (await GetWithETagAsync<T>(key, cancellationToken)).Value;

    public Task<(T? Value, string? ETag)> GetWithETagAsync<T>(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(_items.TryGetValue(key, out var item)
            ? (JsonSerializer.Deserialize<T>(item.Json, MaximusJson.Options), item.Version.ToString(CultureInfo.InvariantCulture))
            : (default(T), (string?)null));

    public Task SaveAsync<T>(string key, T value, CancellationToken cancellationToken = default)
    {
        _items.AddOrUpdate(key, _ => (JsonSerializer.Serialize(value, MaximusJson.Options), 1), (_, old) => (JsonSerializer.Serialize(value, MaximusJson.Options), old.Version + 1));
        return Task.CompletedTask;
    }

    public Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.Serialize(value, MaximusJson.Options);
        lock (_items)
        {
            var exists = _items.TryGetValue(key, out var current);
            if ((etag is null && exists) || (etag is not null && (!exists || current.Version.ToString(CultureInfo.InvariantCulture) != etag)))
            {
                return Task.FromResult(false);
            }

            _items[key] = (json, exists ? current.Version + 1 : 1);
            return Task.FromResult(true);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        _items.TryRemove(key, out _);
        return Task.CompletedTask;
    }
}
