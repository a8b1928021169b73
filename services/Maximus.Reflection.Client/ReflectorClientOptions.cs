namespace Maximus.Reflection.Client;

/// <summary>Settings of <see cref="PrioritizedReflectorClient"/> (section <c>Maximus:ReflectorClient</c>).</summary>
public sealed class ReflectorClientOptions
{
    public const string Section = "Maximus:ReflectorClient";

    /// <summary>A BATCH buffer is flushed when it holds this many logs…</summary>
    public int BatchSize { get; set; } = 10;

    /// <summary>…or when its oldest log has waited this long.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Logs held in memory per priority; beyond it they go straight to the outbox.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Parallel HIGH publishers.</summary>
    public int Publishers { get; set; } = 4;

    /// <summary>
    /// Append every accepted log to the outbox's journal before <c>SubmitAsync</c> returns: a killed process then loses
    /// nothing (the next start redelivers what it held), at the price of one file write per submit (a few microseconds).
    /// Off: a crash can lose logs still queued in memory; a shutdown, a full queue or a failing broker never does.
    /// </summary>
    public bool Durable { get; set; }

    /// <summary>The outbox file. Default: <c>~/.maximus/outbox/{process}.db</c>; the host puts it in its data folder.</summary>
    public string? OutboxPath { get; set; }

    /// <summary>First and largest wait before an outbox log is published again.</summary>
    public TimeSpan RedeliveryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RedeliveryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest accepted log (JSON bytes); a bigger one is refused, never retried.</summary>
    public int MaxLogBytes { get; set; } = 64 * 1024;

    /// <summary>How long a graceful shutdown waits for queued logs to be published before it spools the rest.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
