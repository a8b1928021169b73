using System.Globalization;
using System.Text.Json;
using Maximus.Contracts.Reflection;
using Maximus.ServiceDefaults;
using Microsoft.Data.Sqlite;

namespace Maximus.Reflection.Client;

/// <summary>
/// The client's local SQLite outbox: logs that could not be published yet (broker or sidecar down, queue
/// full, shutdown, or every log in durable mode) wait here and are redelivered with backoff.
/// </summary>
public sealed class ReflectionOutbox
{
    private readonly string _connectionString;

    public ReflectionOutbox(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var c = Open();
        Execute(c, "PRAGMA journal_mode=WAL;");
        Execute(c, """
            CREATE TABLE IF NOT EXISTS outbox (
                log_id TEXT PRIMARY KEY,
                priority TEXT NOT NULL,
                payload TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                last_error TEXT);
            CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_at);
            """);
    }

    public string Path { get; }

    /// <summary>Adds logs (a log already there is kept once: ids are unique).</summary>
    public void Add(IEnumerable<ExecutionLog> logs, DateTimeOffset dueAt)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO outbox(log_id, priority, payload, next_attempt_at, created_at) VALUES ($id, $p, $payload, $due, $now)
            ON CONFLICT(log_id) DO NOTHING
            """;
        var id = cmd.Parameters.Add("$id", SqliteType.Text);
        var priority = cmd.Parameters.Add("$p", SqliteType.Text);
        var payload = cmd.Parameters.Add("$payload", SqliteType.Text);
        cmd.Parameters.AddWithValue("$due", dueAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        foreach (var log in logs)
        {
            id.Value = log.LogId;
            priority.Value = log.Priority.ToString();
            payload.Value = JsonSerializer.Serialize(log, MaximusJson.Options);
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>Logs due for (re)delivery, oldest first.</summary>
    public IReadOnlyList<ExecutionLog> Due(DateTimeOffset now, int max)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT payload FROM outbox WHERE next_attempt_at <= $now ORDER BY next_attempt_at, created_at LIMIT $max";
        cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$max", max);
        using var r = cmd.ExecuteReader();
        var logs = new List<ExecutionLog>();
        while (r.Read())
        {
            logs.Add(JsonSerializer.Deserialize<ExecutionLog>(r.GetString(0), MaximusJson.Options)!);
        }

        return logs;
    }

    public void Remove(IEnumerable<string> logIds) => ForEach(logIds, "DELETE FROM outbox WHERE log_id = $id");

    /// <summary>Records a failed attempt and pushes the next one back with exponential backoff and jitter.</summary>
    public void Postpone(IEnumerable<string> logIds, string error, TimeSpan initialDelay, TimeSpan maxDelay, DateTimeOffset now)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var logId in logIds)
        {
            using var read = c.CreateCommand();
            read.Transaction = tx;
            read.CommandText = "SELECT attempts FROM outbox WHERE log_id = $id";
            read.Parameters.AddWithValue("$id", logId);
            var attempts = Convert.ToInt32(read.ExecuteScalar() ?? 0, CultureInfo.InvariantCulture) + 1;
            var delayMs = Math.Min(maxDelay.TotalMilliseconds, initialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 20)));
            delayMs *= 0.8 + (Random.Shared.NextDouble() * 0.4);
            using var write = c.CreateCommand();
            write.Transaction = tx;
            write.CommandText = "UPDATE outbox SET attempts = $a, next_attempt_at = $due, last_error = $e WHERE log_id = $id";
            write.Parameters.AddWithValue("$a", attempts);
            write.Parameters.AddWithValue("$due", (now + TimeSpan.FromMilliseconds(delayMs)).ToUnixTimeMilliseconds());
            write.Parameters.AddWithValue("$e", error.Length > 1000 ? error[..1000] : error);
            write.Parameters.AddWithValue("$id", logId);
            write.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public long Count()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM outbox";
        return (long)cmd.ExecuteScalar()!;
    }

    private void ForEach(IEnumerable<string> ids, string sql)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        var p = cmd.Parameters.Add("$id", SqliteType.Text);
        foreach (var id in ids)
        {
            p.Value = id;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        Execute(c, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;");
        return c;
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
