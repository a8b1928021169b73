using System.Globalization;
using System.Text.Json;
using Dapr.Actors.Runtime;
using Maximus.ServiceDefaults;
using Maximus.Sqlite;

namespace Maximus.Runtime.Embedded.Actors;

/// <summary>
/// Dapr's <see cref="IActorStateManager"/> on SQLite: changes are tracked in memory during an actor call and
/// written in one transaction by <see cref="SaveStateAsync"/> (the embedded actor host calls it after every
/// method, as the Dapr runtime does). Values with a TTL expire.
/// </summary>
public sealed class SqliteActorStateManager(SqliteDatabase database, string actorType, string actorId, TimeProvider time) : IActorStateManager
{
    private readonly Dictionary<string, Entry> _tracked = new(StringComparer.Ordinal);

    public async Task AddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        await AddStateAsync(stateName, value, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

    public async Task AddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        if (!await TryAddStateAsync(stateName, value, ttl, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Actor state '{stateName}' exists already.");
        }
    }

    public async Task<T> GetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
    {
        var value = await TryGetStateAsync<T>(stateName, cancellationToken).ConfigureAwait(false);
        return value.HasValue ? value.Value : throw new KeyNotFoundException($"Actor state '{stateName}' does not exist.");
    }

    public Task SetStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        SetStateAsync(stateName, value, Timeout.InfiniteTimeSpan, cancellationToken);

    public Task SetStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        _tracked[stateName] = new Entry(Serialize(value), Expiry(ttl), Dirty: true, Removed: false);
        return Task.CompletedTask;
    }

    public async Task RemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (!await TryRemoveStateAsync(stateName, cancellationToken).ConfigureAwait(false))
        {
            throw new KeyNotFoundException($"Actor state '{stateName}' does not exist.");
        }
    }

    public Task<bool> TryAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        TryAddStateAsync(stateName, value, Timeout.InfiniteTimeSpan, cancellationToken);

    public Task<bool> TryAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        if (Load(stateName) is not null)
        {
            return Task.FromResult(false);
        }

        _tracked[stateName] = new Entry(Serialize(value), Expiry(ttl), Dirty: true, Removed: false);
        return Task.FromResult(true);
    }

    public Task<ConditionalValue<T>> TryGetStateAsync<T>(string stateName, CancellationToken cancellationToken = default) =>
        Task.FromResult(Load(stateName) is { } json
            ? new ConditionalValue<T>(true, JsonSerializer.Deserialize<T>(json, MaximusJson.Options)!)
            : new ConditionalValue<T>(false, default!));

    public Task<bool> TryRemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (Load(stateName) is null)
        {
            return Task.FromResult(false);
        }

        _tracked[stateName] = new Entry(null, null, Dirty: true, Removed: true);
        return Task.FromResult(true);
    }

    public Task<bool> ContainsStateAsync(string stateName, CancellationToken cancellationToken = default) =>
        Task.FromResult(Load(stateName) is not null);

    public Task<T> GetOrAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        GetOrAddStateAsync(stateName, value, Timeout.InfiniteTimeSpan, cancellationToken);

    public async Task<T> GetOrAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var existing = await TryGetStateAsync<T>(stateName, cancellationToken).ConfigureAwait(false);
        if (existing.HasValue)
        {
            return existing.Value;
        }

        await SetStateAsync(stateName, value, ttl, cancellationToken).ConfigureAwait(false);
        return value;
    }

    public Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, CancellationToken cancellationToken = default) =>
        AddOrUpdateStateAsync(stateName, addValue, updateValueFactory, Timeout.InfiniteTimeSpan, cancellationToken);

    public async Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updateValueFactory);
        var existing = await TryGetStateAsync<T>(stateName, cancellationToken).ConfigureAwait(false);
        var value = existing.HasValue ? updateValueFactory(stateName, existing.Value) : addValue;
        await SetStateAsync(stateName, value, ttl, cancellationToken).ConfigureAwait(false);
        return value;
    }

    public Task ClearCacheAsync(CancellationToken cancellationToken = default)
    {
        _tracked.Clear();
        return Task.CompletedTask;
    }

    public Task UnloadStateAsync(string stateName, UnloadStateOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_tracked.TryGetValue(stateName, out var entry) && !entry.Dirty)
        {
            _tracked.Remove(stateName);
        }

        return Task.CompletedTask;
    }

    public Task SaveStateAsync(CancellationToken cancellationToken = default)
    {
        var dirty = _tracked.Where(kv => kv.Value.Dirty).ToList();
        if (dirty.Count == 0)
        {
            return Task.CompletedTask;
        }

        database.Write(connection =>
        {
            using var tx = connection.BeginTransaction();
            foreach (var (name, entry) in dirty)
            {
                if (entry.Removed)
                {
                    Sql.Execute(tx, "DELETE FROM actor_state WHERE actor_type = $t AND actor_id = $id AND name = $n", ("$t", actorType), ("$id", actorId), ("$n", name));
                    continue;
                }

                Sql.Execute(
                    tx,
                    """
                    INSERT INTO actor_state(actor_type, actor_id, name, value, expires_at) VALUES ($t, $id, $n, $v, $e)
                    ON CONFLICT(actor_type, actor_id, name) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                    """,
                    ("$t", actorType), ("$id", actorId), ("$n", name), ("$v", entry.Json),
                    ("$e", entry.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture)));
            }

            tx.Commit();
            return dirty.Count;
        });

        foreach (var (name, entry) in dirty)
        {
            if (entry.Removed)
            {
                _tracked.Remove(name);
            }
            else
            {
                _tracked[name] = entry with { Dirty = false };
            }
        }

        return Task.CompletedTask;
    }

    private string? Load(string stateName)
    {
        if (!_tracked.TryGetValue(stateName, out var entry))
        {
            using var connection = database.Open();
            using var command = Sql.Command(connection,
                "SELECT value, expires_at FROM actor_state WHERE actor_type = $t AND actor_id = $id AND name = $n",
                ("$t", actorType), ("$id", actorId), ("$n", stateName));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            entry = new Entry(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                Dirty: false,
                Removed: false);
            _tracked[stateName] = entry;
        }

        if (entry.Removed || (entry.ExpiresAt is { } at && at <= time.GetUtcNow()))
        {
            return null;
        }

        return entry.Json;
    }

    private DateTimeOffset? Expiry(TimeSpan ttl) => ttl == Timeout.InfiniteTimeSpan || ttl <= TimeSpan.Zero ? null : time.GetUtcNow() + ttl;

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, MaximusJson.Options);

    private sealed record Entry(string? Json, DateTimeOffset? ExpiresAt, bool Dirty, bool Removed);
}
