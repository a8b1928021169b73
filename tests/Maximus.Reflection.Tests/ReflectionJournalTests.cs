using Maximus.Contracts.Reflection;
using Maximus.Reflection.Client;

namespace Maximus.Reflection.Tests;

/// <summary>The outbox's journal: what durable mode acknowledges without a transaction, and what a new start recovers.</summary>
public sealed class ReflectionJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("maximus-journal-").FullName;

    private string OutboxPath => Path.Combine(_dir, "outbox.db");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Temp files: the OS cleans them.
        }
    }

    [Fact]
    public void Accepted_and_unsettled_logs_are_in_the_outbox_after_a_restart_and_settled_ones_are_not()
    {
        var first = new ReflectionOutbox(OutboxPath);
        for (var i = 0; i < 10; i++)
        {
            first.Accept(ReflectionHost.Log($"j-{i}", i % 2 == 0 ? ReflectionPriority.High : ReflectionPriority.Batch));
        }

        first.Settle(["j-0", "j-1", "j-2", "unknown"]);
        Assert.Equal(7, first.Unsettled);
        Assert.Equal(7, first.Count());

        // No dispose, no flush: the process is gone. The next one starts on the same files.
        using var next = new ReflectionOutbox(OutboxPath);

        Assert.False(File.Exists(next.JournalPath));
        Assert.Equal(0, next.Unsettled);
        var due = next.Due(DateTimeOffset.UtcNow.AddSeconds(1), 100);
        Assert.Equal(Enumerable.Range(3, 7).Select(i => $"j-{i}").Order(), due.Select(l => l.LogId).Order());
        Assert.Equal(ReflectionPriority.Batch, due.Single(l => l.LogId == "j-3").Priority);
        first.Dispose();
    }

    [Fact]
    public void A_torn_last_line_is_skipped_and_the_lines_before_it_are_recovered()
    {
        var first = new ReflectionOutbox(OutboxPath);
        first.Accept(ReflectionHost.Log("whole", ReflectionPriority.High));
        first.Dispose();
        File.AppendAllText(first.JournalPath, "+{\"logId\":\"torn\",\"missi");

        using var next = new ReflectionOutbox(OutboxPath);

        Assert.Equal(["whole"], next.Due(DateTimeOffset.UtcNow.AddSeconds(1), 10).Select(l => l.LogId));
    }

    [Fact]
    public void Settling_everything_empties_the_journal_and_a_long_one_keeps_only_its_unsettled_logs()
    {
        using var outbox = new ReflectionOutbox(OutboxPath);
        outbox.Accept(ReflectionHost.Log("a", ReflectionPriority.High));
        outbox.Settle(["a"]);
        Assert.Equal(0, new FileInfo(outbox.JournalPath).Length);

        outbox.Accept(ReflectionHost.Log("kept", ReflectionPriority.High));
        var written = 0L;
        for (var i = 0; written < ReflectionOutbox.JournalCompactBytes * 2; i++)
        {
            outbox.Accept(ReflectionHost.Log($"x-{i}", ReflectionPriority.Batch));
            outbox.Settle([$"x-{i}"]);
            written += 300;
        }

        var length = new FileInfo(outbox.JournalPath).Length;
        Assert.True(length < ReflectionOutbox.JournalCompactBytes, $"journal of {length} bytes was not compacted");
        Assert.Equal(1, outbox.Unsettled);
        Assert.Single(File.ReadAllLines(outbox.JournalPath), l => l.Contains("\"kept\"", StringComparison.Ordinal));
    }
}
