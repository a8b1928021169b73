using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.IntegrationTests;

/// <summary>An in-memory <see cref="IStateStore"/> for hosts on the Dapr runtime without a sidecar.</summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Json, long Version)> _items = new(StringComparer.Ordinal);
    private long _lastVersion;

    public IReadOnlyCollection<string> Keys
    {
        get
        {
            lock (_gate)
            {
                return [.. _items.Keys];
            }
        }
    }

    public async Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        (await GetWithETagAsync<T>(key, cancellationToken)).Value;

    public Task<(T? Value, string? ETag)> GetWithETagAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<(T?, string?)>(_items.TryGetValue(key, out var item)
                ? (JsonSerializer.Deserialize<T>(item.Json, MaximusJson.Options), item.Version.ToString(CultureInfo.InvariantCulture))
                : (default, null));
        }
    }

    public Task SaveAsync<T>(string key, T value, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _items[key] = (JsonSerializer.Serialize(value, MaximusJson.Options), ++_lastVersion);
        }

        return Task.CompletedTask;
    }

    public Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var exists = _items.TryGetValue(key, out var item);
            if (etag is null ? exists : !exists || item.Version.ToString(CultureInfo.InvariantCulture) != etag)
            {
                return Task.FromResult(false);
            }

            _items[key] = (JsonSerializer.Serialize(value, MaximusJson.Options), ++_lastVersion);
            return Task.FromResult(true);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _items.Remove(key);
        }

        return Task.CompletedTask;
    }
}

/// <summary>An <see cref="IEventBus"/> that records what is published and delivers nothing.</summary>
public sealed class RecordingEventBus : IEventBus
{
    private readonly ConcurrentQueue<IntegrationEvent> _published = new();

    public IReadOnlyList<IntegrationEvent> Published => [.. _published];

    public Task PublishAsync<TEvent>(TEvent integrationEvent, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        _published.Enqueue(integrationEvent);
        return Task.CompletedTask;
    }

    public Task PublishBulkAsync<TEvent>(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        foreach (var e in integrationEvents)
        {
            _published.Enqueue(e);
        }

        return Task.CompletedTask;
    }
}
