using System.Globalization;
using Maximus.Contracts.Ports;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Runtime.Embedded.Workflows;

/// <summary>A workflow instance as stored.</summary>
public sealed record WorkflowInstanceRow(
    string InstanceId,
    string Name,
    WorkflowRunStatus Status,
    string? Input,
    string? Output,
    string? CustomStatus,
    string? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Generation);

public enum JournalEntryStatus
{
    Started,
    Completed,
    Failed,
}

/// <summary>One task of a workflow instance (activity, timer, child workflow, event) in order of scheduling.</summary>
public sealed record JournalEntry(
    string InstanceId,
    int Generation,
    int Seq,
    string Kind,
    string Name,
    string? Input,
    string? Output,
    JournalEntryStatus Status,
    int Runs,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt,
    string? Error)
{
    public bool IsTerminal => Status is JournalEntryStatus.Completed or JournalEntryStatus.Failed;
}

/// <summary>The workflow journal in SQLite: what a resumed instance replays instead of running again.</summary>
public sealed class WorkflowJournal(SqliteDatabase database)
{
    public bool CreateInstance(string instanceId, string name, string? inputJson)
    {
        var now = SqliteDatabase.Now();
        return database.Write(c => Sql.Execute(
            c,
            """
            INSERT INTO workflow_instance(instance_id, name, status, input, created_at, updated_at)
            VALUES ($id, $name, 'Pending', $input, $now, $now) ON CONFLICT(instance_id) DO NOTHING
            """,
            ("$id", instanceId), ("$name", name), ("$input", inputJson), ("$now", now))) == 1;
    }

    public WorkflowInstanceRow? GetInstance(string instanceId)
    {
        using var c = database.Open();
        using var cmd = Sql.Command(c, $"{SelectInstance} WHERE instance_id = $id", ("$id", instanceId));
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadInstance(r) : null;
    }

    public IReadOnlyList<WorkflowInstanceRow> ListInstances(int limit, WorkflowRunStatus? status = null)
    {
        using var c = database.Open();
        using var cmd = status is null
            ? Sql.Command(c, $"{SelectInstance} ORDER BY created_at DESC LIMIT $n", ("$n", limit))
            : Sql.Command(c, $"{SelectInstance} WHERE status = $s ORDER BY created_at DESC LIMIT $n", ("$n", limit), ("$s", status.ToString()));
        return ReadInstances(cmd);
    }

    /// <summary>Every instance not yet ended (Pending or Running), oldest first, however many ended ones the journal holds.</summary>
    public IReadOnlyList<WorkflowInstanceRow> ListUnfinished()
    {
        using var c = database.Open();
        using var cmd = Sql.Command(c, $"{SelectInstance} WHERE status IN ('Pending', 'Running') ORDER BY created_at, instance_id");
        return ReadInstances(cmd);
    }

    private static List<WorkflowInstanceRow> ReadInstances(SqliteCommand command)
    {
        using var r = command.ExecuteReader();
        var rows = new List<WorkflowInstanceRow>();
        while (r.Read())
        {
            rows.Add(ReadInstance(r));
        }

        return rows;
    }

    public void SetStatus(string instanceId, WorkflowRunStatus status, string? output = null, string? failure = null)
    {
        database.Write(c => Sql.Execute(
            c,
            "UPDATE workflow_instance SET status = $s, output = COALESCE($o, output), failure = $f, updated_at = $now WHERE instance_id = $id",
            ("$id", instanceId), ("$s", status.ToString()), ("$o", output), ("$f", failure), ("$now", SqliteDatabase.Now())));
    }

    public void SetCustomStatus(string instanceId, string? json)
    {
        database.Write(c => Sql.Execute(
            c,
            "UPDATE workflow_instance SET custom_status = $cs, updated_at = $now WHERE instance_id = $id",
            ("$id", instanceId), ("$cs", json), ("$now", SqliteDatabase.Now())));
    }

    /// <summary>Starts a new generation with a new input (ContinueAsNew); the old generation's journal stays for audit.</summary>
    public void ContinueAsNew(string instanceId, string? inputJson)
    {
        database.Write(c => Sql.Execute(
            c,
            "UPDATE workflow_instance SET input = $in, generation = generation + 1, updated_at = $now WHERE instance_id = $id",
            ("$id", instanceId), ("$in", inputJson), ("$now", SqliteDatabase.Now())));
    }

    public IReadOnlyList<JournalEntry> LoadEntries(string instanceId, int? generation = null)
    {
        using var c = database.Open();
        using var cmd = generation is null
            ? Sql.Command(c, $"{SelectEntry} WHERE instance_id = $id ORDER BY generation, seq", ("$id", instanceId))
            : Sql.Command(c, $"{SelectEntry} WHERE instance_id = $id AND generation = $g ORDER BY seq", ("$id", instanceId), ("$g", generation.Value));
        using var r = cmd.ExecuteReader();
        var entries = new List<JournalEntry>();
        while (r.Read())
        {
            entries.Add(new JournalEntry(
                r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetString(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6),
                Enum.Parse<JournalEntryStatus>(r.GetString(7)),
                r.GetInt32(8),
                ParseTime(r.GetString(9)),
                r.IsDBNull(10) ? null : ParseTime(r.GetString(10)),
                r.IsDBNull(11) ? null : r.GetString(11)));
        }

        return entries;
    }

    /// <summary>Records that a task starts running (again, after a crash: <c>runs</c> counts the attempts).</summary>
    public void BeginTask(string instanceId, int generation, int seq, string kind, string name, string? input)
    {
        database.Write(c => Sql.Execute(
            c,
            """
            INSERT INTO workflow_journal(instance_id, generation, seq, kind, name, input, status, runs, started_at)
            VALUES ($id, $g, $seq, $kind, $name, $input, 'Started', 1, $now)
            ON CONFLICT(instance_id, generation, seq) DO UPDATE SET runs = runs + 1, status = 'Started', started_at = excluded.started_at
            """,
            ("$id", instanceId), ("$g", generation), ("$seq", seq), ("$kind", kind), ("$name", name), ("$input", input), ("$now", SqliteDatabase.Now())));
    }

    public DateTimeOffset CompleteTask(string instanceId, int generation, int seq, string? output) =>
        FinishTask(instanceId, generation, seq, JournalEntryStatus.Completed, output, null);

    public DateTimeOffset FailTask(string instanceId, int generation, int seq, string error) =>
        FinishTask(instanceId, generation, seq, JournalEntryStatus.Failed, null, error);

    public void AddEvent(string instanceId, string name, string? payload)
    {
        database.Write(c => Sql.Execute(
            c,
            "INSERT INTO workflow_event(instance_id, name, payload, raised_at) VALUES ($id, $name, $p, $now)",
            ("$id", instanceId), ("$name", name), ("$p", payload), ("$now", SqliteDatabase.Now())));
    }

    /// <summary>
    /// Takes the oldest unconsumed event of that name for the waiting task <paramref name="seq"/> and completes
    /// the task with its payload, in one transaction: a crash cannot consume an event without completing the wait.
    /// </summary>
    public bool TryConsumeEvent(string instanceId, int generation, string name, int seq, out string? payload, out DateTimeOffset completedAt)
    {
        var now = DateTimeOffset.UtcNow;
        completedAt = now;
        (bool Found, string? Payload) taken = database.Write(c =>
        {
            using var tx = c.BeginTransaction();
            using var find = Sql.Command(
                tx,
                "SELECT id, payload FROM workflow_event WHERE instance_id = $id AND name = $name AND consumed_seq IS NULL ORDER BY id LIMIT 1",
                ("$id", instanceId), ("$name", name));
            long eventId;
            string? found;
            using (var r = find.ExecuteReader())
            {
                if (!r.Read())
                {
                    return (false, null);
                }

                eventId = r.GetInt64(0);
                found = r.IsDBNull(1) ? null : r.GetString(1);
            }

            Sql.Execute(tx, "UPDATE workflow_event SET consumed_seq = $seq WHERE id = $eid", ("$seq", seq), ("$eid", eventId));
            Sql.Execute(
                tx,
                "UPDATE workflow_journal SET status = 'Completed', output = $o, error = NULL, completed_at = $now WHERE instance_id = $id AND generation = $g AND seq = $seq",
                ("$id", instanceId), ("$g", generation), ("$seq", seq), ("$o", found), ("$now", now.ToString("O", CultureInfo.InvariantCulture)));
            tx.Commit();
            return (true, found);
        });
        payload = taken.Payload;
        return taken.Found;
    }

    private DateTimeOffset FinishTask(string instanceId, int generation, int seq, JournalEntryStatus status, string? output, string? error)
    {
        var now = DateTimeOffset.UtcNow;
        database.Write(c => Sql.Execute(
            c,
            "UPDATE workflow_journal SET status = $s, output = $o, error = $e, completed_at = $now WHERE instance_id = $id AND generation = $g AND seq = $seq",
            ("$id", instanceId), ("$g", generation), ("$seq", seq), ("$s", status.ToString()), ("$o", output), ("$e", error),
            ("$now", now.ToString("O", CultureInfo.InvariantCulture))));
        return now;
    }

    private const string SelectInstance =
        "SELECT instance_id, name, status, input, output, custom_status, failure, created_at, updated_at, generation FROM workflow_instance";

    private const string SelectEntry =
        "SELECT instance_id, generation, seq, kind, name, input, output, status, runs, started_at, completed_at, error FROM workflow_journal";

    private static WorkflowInstanceRow ReadInstance(Microsoft.Data.Sqlite.SqliteDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        Enum.Parse<WorkflowRunStatus>(r.GetString(2)),
        r.IsDBNull(3) ? null : r.GetString(3),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        ParseTime(r.GetString(7)),
        ParseTime(r.GetString(8)),
        r.GetInt32(9));

    private static DateTimeOffset ParseTime(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
