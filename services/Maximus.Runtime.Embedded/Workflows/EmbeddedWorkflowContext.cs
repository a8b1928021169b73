using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr.Workflow;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Maximus.Runtime.Embedded.Workflows;

/// <summary>
/// Dapr's <see cref="WorkflowContext"/> in process. Every task the workflow schedules gets a sequence
/// number; a task already in the journal is answered from it (replay), so a resumed instance never runs
/// a completed activity again. Workflow code must be deterministic, as on Dapr.
/// </summary>
internal sealed class EmbeddedWorkflowContext : WorkflowContext
{
    private readonly EmbeddedWorkflowEngine _engine;
    private readonly WorkflowInstanceRow _instance;
    private readonly Dictionary<int, JournalEntry> _history;
    private readonly ILoggerFactory _loggerFactory;
    private int _seq;
    private int _guidCounter;
    private DateTime _now;
    private string? _storedCustomStatus;
    private string? _replayedCustomStatus;
    private bool _customStatusReplayed;

    private readonly TaskCompletionSource? _replayEnded;

    /// <param name="replayEnded">Completed when the replay ends (the instance runs its first task that is not in the journal).</param>
    public EmbeddedWorkflowContext(
        EmbeddedWorkflowEngine engine, WorkflowInstanceRow instance, IReadOnlyList<JournalEntry> history, ILoggerFactory loggerFactory, TaskCompletionSource? replayEnded = null)
    {
        _replayEnded = replayEnded;
        _engine = engine;
        _instance = instance;
        _history = history.ToDictionary(e => e.Seq);
        _loggerFactory = loggerFactory;
        _now = instance.CreatedAt.UtcDateTime;
        _storedCustomStatus = instance.CustomStatus;
    }

    public override string Name => _instance.Name;

    public override string InstanceId => _instance.InstanceId;

    public override DateTime CurrentUtcDateTime => _now;

    public override bool IsReplaying => _history.TryGetValue(_seq, out var e) && e.IsTerminal;

    internal int Generation => _instance.Generation;

    internal string? ContinueAsNewInput { get; private set; }

    internal bool ContinueAsNewRequested { get; private set; }

    public override bool IsPatched(string patchName) => true;

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        var seq = _seq++;
        if (TryReplay(seq, "activity", name, out var entry))
        {
            return Replayed<T>(entry);
        }

        var (output, completedAt) = await _engine.RunActivityAsync(this, seq, name, input, options).ConfigureAwait(false);
        _now = completedAt.UtcDateTime;
        return Deserialize<T>(output);
    }

    public override async Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        var seq = _seq++;
        if (TryReplay(seq, "timer", "timer", out var entry))
        {
            Replayed<object>(entry);
            return;
        }

        var utc = fireAt.Kind == DateTimeKind.Local ? fireAt.ToUniversalTime() : fireAt;
        _engine.Journal.BeginTask(InstanceId, Generation, seq, "timer", "timer", JsonSerializer.Serialize(utc, MaximusJson.Options));
        try
        {
            // Task.Delay may return a little early; a durable timer never fires before its time.
            TimeSpan delay;
            while ((delay = utc - DateTime.UtcNow) > TimeSpan.Zero)
            {
                await Task.Delay(delay + TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            _engine.Journal.FailTask(InstanceId, Generation, seq, "canceled");
            throw;
        }

        _engine.Journal.CompleteTask(InstanceId, Generation, seq, null);
        _now = utc;
    }

    public override async Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default)
    {
        var seq = _seq++;
        if (TryReplay(seq, "event", eventName, out var entry))
        {
            return Replayed<T>(entry);
        }

        _engine.Journal.BeginTask(InstanceId, Generation, seq, "event", eventName, null);
        try
        {
            while (true)
            {
                if (_engine.Journal.TryConsumeEvent(InstanceId, Generation, eventName, seq, out var payload, out var completedAt))
                {
                    _now = completedAt.UtcDateTime;
                    return Deserialize<T>(payload);
                }

                await _engine.WaitForSignalAsync(InstanceId, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            _engine.Journal.FailTask(InstanceId, Generation, seq, $"Waiting for event '{eventName}' was canceled or timed out.");
            throw new TaskCanceledException($"Waiting for event '{eventName}' was canceled or timed out.");
        }
    }

    public override async Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await WaitForExternalEventAsync<T>(eventName, cts.Token).ConfigureAwait(false);
    }

    public override void SendEvent(string instanceId, string eventName, object payload)
    {
        var seq = _seq++;
        if (TryReplay(seq, "send", eventName, out _))
        {
            return;
        }

        var json = JsonSerializer.Serialize(payload, MaximusJson.Options);
        _engine.Journal.BeginTask(InstanceId, Generation, seq, "send", eventName, json);
        _engine.RaiseEventCore(instanceId, eventName, json);
        _engine.Journal.CompleteTask(InstanceId, Generation, seq, null);
    }

    /// <summary>
    /// Written to the journal when it changes. While the instance replays, a status is only kept: the journal already holds
    /// what the instance set after it, and the replay's last one is written (if it differs) once the replay ends. A resumed
    /// instance does not rewrite every status it had passed through, and dozens of instances resumed together do not queue
    /// on the database for writes that change nothing.
    /// </summary>
    public override void SetCustomStatus(object? customStatus)
    {
        var json = customStatus is null ? null : JsonSerializer.Serialize(customStatus, MaximusJson.Options);
        if (IsReplaying)
        {
            _replayedCustomStatus = json;
            _customStatusReplayed = true;
            return;
        }

        WriteCustomStatus(json);
    }

    /// <summary>Writes the custom status the replay left, if it has not been written: called where the replay ends.</summary>
    internal void FlushReplayedCustomStatus()
    {
        if (_customStatusReplayed)
        {
            WriteCustomStatus(_replayedCustomStatus);
        }
    }

    private void WriteCustomStatus(string? json)
    {
        _customStatusReplayed = false;
        if (string.Equals(json, _storedCustomStatus, StringComparison.Ordinal))
        {
            return;
        }

        _engine.Journal.SetCustomStatus(InstanceId, json);
        _storedCustomStatus = json;
    }

    public override async Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null)
    {
        var seq = _seq++;
        if (TryReplay(seq, "child", workflowName, out var entry))
        {
            return Replayed<TResult>(entry);
        }

        var childId = options?.InstanceId ?? $"{InstanceId}-child-{Generation}-{seq}";
        var inputJson = JsonSerializer.Serialize(input, MaximusJson.Options);
        _engine.Journal.BeginTask(InstanceId, Generation, seq, "child", workflowName, inputJson);
        var child = await _engine.RunChildAsync(workflowName, childId, inputJson).ConfigureAwait(false);
        if (child.Status != Contracts.Ports.WorkflowRunStatus.Completed)
        {
            _engine.Journal.FailTask(InstanceId, Generation, seq, child.Failure ?? child.Status.ToString());
            throw Failure(workflowName, child.Failure ?? $"child workflow ended {child.Status}");
        }

        _now = _engine.Journal.CompleteTask(InstanceId, Generation, seq, child.Output).UtcDateTime;
        return Deserialize<TResult>(child.Output);
    }

    public override async Task<string> ScheduleNewDetachedWorkflowAsync(string workflowName, string? instanceId = null, object? input = null, DateTimeOffset? startTime = null, WorkflowTaskOptions? options = null)
    {
        var seq = _seq++;
        if (TryReplay(seq, "detached", workflowName, out var entry))
        {
            return Replayed<string>(entry);
        }

        var id = instanceId ?? NewGuid().ToString("N");
        _engine.Journal.BeginTask(InstanceId, Generation, seq, "detached", workflowName, null);
        await _engine.ScheduleAsync(workflowName, id, input ?? new object()).ConfigureAwait(false);
        _engine.Journal.CompleteTask(InstanceId, Generation, seq, JsonSerializer.Serialize(id, MaximusJson.Options));
        return id;
    }

    public override ILogger CreateReplaySafeLogger(string categoryName) => new ReplaySafeLogger(_loggerFactory.CreateLogger(categoryName), this);

    public override ILogger CreateReplaySafeLogger(Type type) => new ReplaySafeLogger(_loggerFactory.CreateLogger(type), this);

    public override ILogger<T> CreateReplaySafeLogger<T>() => new ReplaySafeLogger<T>(_loggerFactory.CreateLogger<T>(), this);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
        ContinueAsNewRequested = true;
        ContinueAsNewInput = JsonSerializer.Serialize(newInput, MaximusJson.Options);
    }

    /// <summary>Deterministic: derived from the instance id, generation and a counter, so replays get the same values.</summary>
    public override Guid NewGuid()
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{InstanceId}/{Generation}/{_guidCounter++}"));
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes.AsSpan(0, 16));
    }

    /// <summary>History propagation between apps is a Dapr sidecar feature; in one process there is none to propagate.</summary>
    public override PropagatedHistory GetPropagatedHistory() => new([]);

    internal static WorkflowTaskFailedException Failure(string name, string message, Exception? ex = null) =>
        new($"Task '{name}' failed: {message}", new WorkflowTaskFailureDetails(ex?.GetType().FullName ?? "Failure", message, ex?.StackTrace ?? ""));

    private bool TryReplay(int seq, string kind, string name, out JournalEntry entry)
    {
        if (!_history.TryGetValue(seq, out entry!) || !entry.IsTerminal)
        {
            // The replay ends here: the instance runs new tasks from now on.
            FlushReplayedCustomStatus();
            _replayEnded?.TrySetResult();
            return false;
        }

        if (!string.Equals(entry.Kind, kind, StringComparison.Ordinal) || !string.Equals(entry.Name, name, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Non-deterministic workflow '{Name}' ({InstanceId}): the journal has {entry.Kind} '{entry.Name}' at step {seq}, the code asked for {kind} '{name}'.");
        }

        return true;
    }

    private T Replayed<T>(JournalEntry entry)
    {
        if (entry.CompletedAt is { } at)
        {
            _now = at.UtcDateTime;
        }

        if (entry.Status == JournalEntryStatus.Failed)
        {
            if (entry.Kind == "event" || entry.Kind == "timer")
            {
                throw new TaskCanceledException(entry.Error);
            }

            throw Failure(entry.Name, entry.Error ?? "failed");
        }

        return Deserialize<T>(entry.Output);
    }

    private static T Deserialize<T>(string? json) =>
        json is null ? default! : JsonSerializer.Deserialize<T>(json, MaximusJson.Options)!;

    private class ReplaySafeLogger(ILogger inner, EmbeddedWorkflowContext context) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    private sealed class ReplaySafeLogger<T>(ILogger<T> inner, EmbeddedWorkflowContext context) : ReplaySafeLogger(inner, context), ILogger<T>;
}
