using System.Globalization;
using System.Text.Json;
using Maximus.Contracts.Reflection;
using Maximus.ServiceDefaults;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace Maximus.Reflection.Client;

/// <summary>
/// The client's local SQLite outbox: logs that could not be published yet (broker or sidecar down, queue
/// full, shutdown) wait here and are redelivered with backoff. In durable mode every accepted log is first appended to
/// the outbox's journal (<c>&lt;outbox&gt;.journal</c>, one write per log, no transaction: in the OS's hands when
/// <see cref="Accept"/> returns, so a killed process loses nothing) and settled once published or spooled; the next
/// start moves whatever the journal still holds into the outbox for redelivery.
/// </summary>
public sealed class ReflectionOutbox : IDisposable
{
    /// <summary>A journal longer than this is rewritten with only its unsettled logs (at once when none is left).</summary>
    public const long JournalCompactBytes = 4 * 1024 * 1024;

    private readonly SqliteFile _file;
    private readonly string _journalPath;
    private readonly Lock _journalGate = new();
    private readonly Dictionary<string, byte[]> _unsettled = new(StringComparer.Ordinal);
    private SafeFileHandle? _journal;
    private long _journalLength;
    private long _unsettledBytes;

    public ReflectionOutbox(string path)
    {
        _journalPath = path + ".journal";
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
        RecoverJournal();
    }

    public string Path => _file.Path;

    /// <summary>The durable-mode journal beside the outbox.</summary>
    public string JournalPath => _journalPath;

    /// <summary>Logs accepted into the journal and not settled yet.</summary>
    public int Unsettled
    {
        get
        {
            lock (_journalGate)
            {
                return _unsettled.Count;
            }
        }
    }

    /// <summary>
    /// Durable acceptance: appends the log to the journal (one write, no fsync: like SQLite's WAL at synchronous=NORMAL
    /// it survives a killed process, not a power cut). Throws <see cref="IOException"/> when it cannot be written.
    /// </summary>
    /// <param name="log">The accepted log.</param>
    /// <param name="json">Its JSON when the caller has it already (else it is serialized here).</param>
    public void Accept(ExecutionLog log, byte[]? json = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        var line = JournalLine('+', json ?? JsonSerializer.SerializeToUtf8Bytes(log, MaximusJson.Options));
        lock (_journalGate)
        {
            var journal = _journal ??= OpenJournal();
            RandomAccess.Write(journal, line, _journalLength);
            _journalLength += line.Length;
            if (_unsettled.TryGetValue(log.LogId, out var earlier))
            {
                _unsettledBytes -= earlier.Length;
            }

            _unsettled[log.LogId] = line;
            _unsettledBytes += line.Length;
        }
    }

    /// <summary>Marks accepted logs as handled (published, or safe in the outbox); compacts the journal when it grew long.</summary>
    public void Settle(IEnumerable<string> logIds)
    {
        ArgumentNullException.ThrowIfNull(logIds);
        lock (_journalGate)
        {
            if (_journal is null)
            {
                return;
            }

            var marks = new List<byte>();
            foreach (var id in logIds)
            {
                if (_unsettled.Remove(id, out var line))
                {
                    _unsettledBytes -= line.Length;
                    marks.AddRange(JournalLine('-', JsonSerializer.SerializeToUtf8Bytes(id, MaximusJson.Options)));
                }
            }

            if (_unsettled.Count == 0 && _journalLength > 0 && (_journalLength >= JournalCompactBytes || marks.Count > 0))
            {
                // Nothing left to recover: the journal starts over (a truncation, no copy).
                RandomAccess.SetLength(_journal, 0);
                _journalLength = 0;
                return;
            }

            if (marks.Count > 0)
            {
                var bytes = marks.ToArray();
                RandomAccess.Write(_journal, bytes, _journalLength);
                _journalLength += bytes.Length;
            }

            if (_journalLength >= JournalCompactBytes && _journalLength >= 4 * _unsettledBytes)
            {
                CompactJournal();
            }
        }
    }

    public void Dispose()
    {
        lock (_journalGate)
        {
            _journal?.Dispose();
            _journal = null;
        }
    }

    /// <summary>
    /// At start: the logs a previous process accepted into the journal and never settled go to the outbox, due now;
    /// then the journal is removed. An unreadable line (a write cut short by a full disk) was never acknowledged: skipped.
    /// </summary>
    private void RecoverJournal()
    {
        if (!File.Exists(_journalPath))
        {
            return;
        }

        var accepted = new Dictionary<string, ExecutionLog>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(_journalPath))
        {
            try
            {
                if (line.StartsWith('+') && JsonSerializer.Deserialize<ExecutionLog>(line.AsSpan(1), MaximusJson.Options) is { } log)
                {
                    accepted[log.LogId] = log;
                }
                else if (line.StartsWith('-') && JsonSerializer.Deserialize<string>(line.AsSpan(1), MaximusJson.Options) is { } id)
                {
                    accepted.Remove(id);
                }
            }
            catch (JsonException)
            {
                // A torn last line: that log's submit did not return, so it was never acknowledged.
            }
        }

        if (accepted.Count > 0)
        {
            Add(accepted.Values, DateTimeOffset.UtcNow);
        }

        File.Delete(_journalPath);
    }

    private SafeFileHandle OpenJournal()
    {
        var journal = File.OpenHandle(_journalPath, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete);
        _journalLength = 0;
        return journal;
    }

    /// <summary>Rewrites the journal with its unsettled logs only (written beside it, then renamed over it).</summary>
    private void CompactJournal()
    {
        var next = _journalPath + ".next";
        var length = 0L;
        using (var handle = File.OpenHandle(next, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete))
        {
            foreach (var line in _unsettled.Values)
            {
                RandomAccess.Write(handle, line, length);
                length += line.Length;
            }
        }

        _journal!.Dispose();
        File.Move(next, _journalPath, overwrite: true);
        _journal = File.OpenHandle(_journalPath, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete);
        _journalLength = length;
    }

    private static byte[] JournalLine(char kind, ReadOnlySpan<byte> json)
    {
        var bytes = new byte[json.Length + 2];
        bytes[0] = (byte)kind;
        json.CopyTo(bytes.AsSpan(1));
        bytes[^1] = (byte)'\n';
        return bytes;
    }

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

    /// <summary>Logs waiting: in the outbox, and accepted into the journal but not settled yet.</summary>
    public long Count()
    {
        using var c = _file.Open();
        return (long)Sql.Scalar(c, "SELECT COUNT(*) FROM outbox")! + Unsettled;
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
