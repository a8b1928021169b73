using System.Globalization;
using System.Text.Json;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Maximus.Sqlite;

namespace Maximus.Runtime.Embedded;

/// <summary>The key/value state port on SQLite; ETags are per-key version numbers.</summary>
public sealed class SqliteStateStore(SqliteDatabase database) : IStateStore
{
    public async Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        (await GetWithETagAsync<T>(key, cancellationToken).ConfigureAwait(false)).Value;

    public Task<(T? Value, string? ETag)> GetWithETagAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        using var connection = database.Open();
        using var command = Sql.Command(connection, "SELECT value, etag FROM state WHERE key = $key", ("$key", key));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return Task.FromResult<(T?, string?)>((default, null));
        }

        var value = JsonSerializer.Deserialize<T>(reader.GetString(0), MaximusJson.Options);
        return Task.FromResult<(T?, string?)>((value, reader.GetInt64(1).ToString(CultureInfo.InvariantCulture)));
    }

    public Task SaveAsync<T>(string key, T value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var json = JsonSerializer.Serialize(value, MaximusJson.Options);
        database.Write(connection => Sql.Execute(
            connection,
            """
            INSERT INTO state(key, value, etag, updated_at) VALUES ($key, $value, 1, $now)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = state.etag + 1, updated_at = excluded.updated_at
            """,
            ("$key", key), ("$value", json), ("$now", SqliteDatabase.Now())));
        return Task.CompletedTask;
    }

    public Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var json = JsonSerializer.Serialize(value, MaximusJson.Options);
        int changed;
        if (etag is null)
        {
            changed = database.Write(connection => Sql.Execute(
                connection,
                "INSERT INTO state(key, value, etag, updated_at) VALUES ($key, $value, 1, $now) ON CONFLICT(key) DO NOTHING",
                ("$key", key), ("$value", json), ("$now", SqliteDatabase.Now())));
        }
        else
        {
            if (!long.TryParse(etag, NumberStyles.Integer, CultureInfo.InvariantCulture, out var version))
            {
                return Task.FromResult(false);
            }

            changed = database.Write(connection => Sql.Execute(
                connection,
                "UPDATE state SET value = $value, etag = etag + 1, updated_at = $now WHERE key = $key AND etag = $etag",
                ("$key", key), ("$value", json), ("$now", SqliteDatabase.Now()), ("$etag", version)));
        }

        return Task.FromResult(changed == 1);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        database.Write(connection => Sql.Execute(connection, "DELETE FROM state WHERE key = $key", ("$key", key)));
        return Task.CompletedTask;
    }
}
