using System.Globalization;
using System.Text.Json;
using Maximus.Contracts.Reflection;
using Maximus.ServiceDefaults;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Reflection.Client;

/// <summary>
/// The client's local SQLite outbox: logs that could not be published yet (broker or sidecar down, queue
/// full, shutdown, or every log in durable mode) wait here and are redelivered with backoff.
/// </summary>
public sealed class ReflectionOutbox
{
    private readonly SqliteFile _file;

    public ReflectionOutbox(string path)
    {
        _file = new SqliteFile(path, new SqliteFileOptions
        {
            Schema = """
                CREATE TABLE IF NOT EXISTS outbox (
                    log_id TEXT PRIMARY KEY,
                    priority TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    last_error TEXT);
                CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_at);
                """,
        });
    }

    public string Path => _file.Path;

    /// <summary>Adds logs (a log already there is kept once: ids are unique).</summary>
    public void Add(IEnumerable<ExecutionLog> logs, DateTimeOffset dueAt)
    {
        using var c = _file.Open();
        using var tx = c.BeginTransaction();
        using var cmd = Sql.Command(
            tx,
            """
            INSERT INTO outbox(log_id, priority, payload, next_attempt_at, created_at) VALUES ($id, $p, $payload, $due, $now)
            ON CONFLICT(log_id) DO NOTHING
            """,
            ("$due", dueAt.ToUnixTimeMilliseconds()), ("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        var id = cmd.Parameters.Add("$id", SqliteType.Text);
        var priority = cmd.Parameters.Add("$p", SqliteType.Text);
        var payload = cmd.Parameters.Add("$payload", SqliteType.Text);
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
        using var c = _file.Open();
        using var cmd = Sql.Command(
            c, "SELECT payload FROM outbox WHERE next_attempt_at <= $now ORDER BY next_attempt_at, created_at LIMIT $max",
            ("$now", now.ToUnixTimeMilliseconds()), ("$max", max));
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
        using var c = _file.Open();
        using var tx = c.BeginTransaction();
        foreach (var logId in logIds)
        {
            using var read = Sql.Command(tx, "SELECT attempts FROM outbox WHERE log_id = $id", ("$id", logId));
            var attempts = Convert.ToInt32(read.ExecuteScalar() ?? 0, CultureInfo.InvariantCulture) + 1;
            var delayMs = Math.Min(maxDelay.TotalMilliseconds, initialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 20)));
            delayMs *= 0.8 + (Random.Shared.NextDouble() * 0.4);
            Sql.Execute(
                tx,
                "UPDATE outbox SET attempts = $a, next_attempt_at = $due, last_error = $e WHERE log_id = $id",
                ("$a", attempts), ("$due", (now + TimeSpan.FromMilliseconds(delayMs)).ToUnixTimeMilliseconds()),
                ("$e", error.Length > 1000 ? error[..1000] : error), ("$id", logId));
        }

        tx.Commit();
    }

    public long Count()
    {
        using var c = _file.Open();
        return (long)Sql.Scalar(c, "SELECT COUNT(*) FROM outbox")!;
    }

    private void ForEach(IEnumerable<string> ids, string sql)
    {
        using var c = _file.Open();
        using var tx = c.BeginTransaction();
        using var cmd = Sql.Command(tx, sql);
        var p = cmd.Parameters.Add("$id", SqliteType.Text);
        foreach (var id in ids)
        {
            p.Value = id;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }
}
