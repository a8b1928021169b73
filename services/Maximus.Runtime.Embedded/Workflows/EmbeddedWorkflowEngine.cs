using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Runtime.Embedded.Workflows;

/// <summary>
/// Runs Dapr <see cref="Workflow{TInput,TOutput}"/> classes in process with a SQLite journal. An instance
/// interrupted by a crash is resumed by replaying its journal: completed activities are not run again.
/// </summary>
public sealed partial class EmbeddedWorkflowEngine : IWorkflowHost, IHostedService
{
    private readonly EmbeddedWorkflowsFactory _factory;
    private readonly IServiceProvider _services;
    private readonly IServiceScopeFactory _scopes;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly EmbeddedRuntimeOptions _options;
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _replays = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _completions = new(StringComparer.Ordinal);
    private readonly (string Activity, int Count)? _killAfter;
    private readonly SemaphoreSlim _activitySlots;
    private int _waitingForSlot;
    private volatile bool _stopping;

    public EmbeddedWorkflowEngine(
        WorkflowJournal journal,
        EmbeddedWorkflowsFactory factory,
        IServiceProvider services,
        IServiceScopeFactory scopes,
        ILoggerFactory loggerFactory,
        IOptions<EmbeddedRuntimeOptions> options)
    {
        Journal = journal;
        _factory = factory;
        _services = services;
        _scopes = scopes;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<EmbeddedWorkflowEngine>();
        _options = options.Value;
        _activitySlots = new SemaphoreSlim(_options.ActivitySlots, _options.ActivitySlots);
        if (_options.ResumeWaveTimeout < TimeSpan.Zero)
        {
            throw new OptionsValidationException(EmbeddedRuntimeOptions.Section, typeof(EmbeddedRuntimeOptions), [$"ResumeWaveTimeout must not be negative, got {_options.ResumeWaveTimeout}."]);
        }

        if (_options.KillAfterActivity is { Length: > 0 } spec)
        {
            var parts = spec.Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                throw new OptionsValidationException(EmbeddedRuntimeOptions.Section, typeof(EmbeddedRuntimeOptions), [$"KillAfterActivity must be 'ActivityName:N', got '{spec}'."]);
            }

            _killAfter = (parts[0], n);
        }
    }

    public WorkflowJournal Journal { get; }

    /// <summary>Activities running now (at most <see cref="EmbeddedRuntimeOptions.MaxConcurrentActivities"/>).</summary>
    public int ActivitiesRunning => _options.ActivitySlots - _activitySlots.CurrentCount;

    /// <summary>Activities scheduled (journaled as started) that wait for one of the slots.</summary>
    public int ActivitiesWaiting => Volatile.Read(ref _waitingForSlot);

    public Task<string> ScheduleAsync(string workflowName, string instanceId, object input, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        if (!_factory.WorkflowNames.Contains(workflowName))
        {
            throw new ArgumentException($"No workflow '{workflowName}' is registered.", nameof(workflowName));
        }

        if (!Journal.CreateInstance(instanceId, workflowName, JsonSerializer.Serialize(input, input.GetType(), MaximusJson.Options)))
        {
            throw new InvalidOperationException($"A workflow instance '{instanceId}' exists already.");
        }

        Start(instanceId);
        return Task.FromResult(instanceId);
    }

    public Task<WorkflowInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Journal.GetInstance(instanceId) is { } row ? ToInfo(row) : null);

    public Task ResumeAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var row = Journal.GetInstance(instanceId) ?? throw new KeyNotFoundException($"No workflow instance '{instanceId}'.");
        if (row.Status is WorkflowRunStatus.Pending or WorkflowRunStatus.Running or WorkflowRunStatus.Suspended)
        {
            Start(instanceId);
        }

        return Task.CompletedTask;
    }

    public Task RaiseEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken = default)
    {
        _ = Journal.GetInstance(instanceId) ?? throw new KeyNotFoundException($"No workflow instance '{instanceId}'.");
        RaiseEventCore(instanceId, eventName, payload is null ? null : JsonSerializer.Serialize(payload, payload.GetType(), MaximusJson.Options));
        return Task.CompletedTask;
    }

    /// <summary>Waits until the instance ends (completed, failed or terminated) and returns its final row.</summary>
    public async Task<WorkflowInstanceRow> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_running.TryGetValue(instanceId, out var run))
            {
                await run.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            var row = Journal.GetInstance(instanceId) ?? throw new KeyNotFoundException($"No workflow instance '{instanceId}'.");
            if (row.Status is WorkflowRunStatus.Completed or WorkflowRunStatus.Failed or WorkflowRunStatus.Terminated)
            {
                return row;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How long resuming waits at most for the host to be ready (a readiness check that never passes must not strand missions).</summary>
    public static readonly TimeSpan MaxResumeDelay = TimeSpan.FromSeconds(30);

    /// <summary>The resume of the instances left running by a previous process (null when there was none).</summary>
    public Task? Resumed { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.ResumeWorkflowsOnStart)
        {
            var left = Journal.ListUnfinished();
            if (left.Count > 0)
            {
                // Not before the host has started and is ready: dozens of replaying missions compete for the CPU with what readiness waits
                // for (the embedding model), and they can continue after ready. Measured after a kill -9 with 35 missions
                // in flight: kill-to-ready 8-11 s resuming at start against 4-7 s without.
                Resumed = Task.Run(() => ResumeWhenReadyAsync(left), CancellationToken.None);
            }
        }

        return Task.CompletedTask;
    }

    private async Task ResumeWhenReadyAsync(IReadOnlyList<WorkflowInstanceRow> left)
    {
        // Started first (the server listens only after the hosted services have started, and a readiness check can pass
        // before it does), then ready.
        var clock = Stopwatch.StartNew();
        if (_services.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            using (lifetime.ApplicationStopping.Register(() => started.TrySetResult()))
            {
                await Task.WhenAny(started.Task, Task.Delay(MaxResumeDelay, CancellationToken.None)).ConfigureAwait(false);
            }
        }

        if (_services.GetService<HttpWarmup>() is { } warmup)
        {
            // Readiness waits for it too: waiting here first keeps the polls below from logging it as unhealthy.
            await Task.WhenAny(warmup.Completion, Task.Delay(MaxResumeDelay, CancellationToken.None)).ConfigureAwait(false);
        }

        var health = _services.GetService<HealthCheckService>();
        while (health is not null && !_stopping && clock.Elapsed < MaxResumeDelay)
        {
            var report = await health.CheckHealthAsync(c => c.Tags.Contains(ServiceDefaults.Extensions.ReadyTag), CancellationToken.None).ConfigureAwait(false);
            if (report.Status == HealthStatus.Healthy)
            {
                break;
            }

            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }

        if (_stopping)
        {
            return;
        }

        LogResumingAll(_logger, left.Count, clock.ElapsedMilliseconds);
        foreach (var wave in left.Chunk(_options.ResumeWaveSize))
        {
            var replays = new List<Task>(wave.Length);
            foreach (var row in wave)
            {
                LogResuming(_logger, row.InstanceId, row.Name);
                var replayed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _replays[row.InstanceId] = replayed;
                if (Start(row.InstanceId))
                {
                    replays.Add(replayed.Task);
                }
                else
                {
                    _replays.TryRemove(row.InstanceId, out _);
                }
            }

            if (_stopping)
            {
                return;
            }

            await Task.WhenAny(Task.WhenAll(replays), Task.Delay(_options.ResumeWaveTimeout, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    /// <summary>True once the host stops: no activity starts any more, and instances are parked rather than failed.</summary>
    public bool Stopping => _stopping;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // From here on an instance that reaches its next activity, or whose activity fails (its dependencies are shutting
        // down too), is parked: it stays 'Running' in the journal, exactly as after a kill, and resumes on the next start.
        // A graceful stop (SIGTERM in Kubernetes) must not fail the missions in flight.
        _stopping = true;
        var deadline = Stopwatch.StartNew();
        try
        {
            while (!_running.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.WhenAny(Task.WhenAll(_running.Values), Task.Delay(50, cancellationToken)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The host's stop timeout: what still runs resumes on the next start.
        }

        if (!_running.IsEmpty)
        {
            LogStopWhileRunning(_logger, _running.Count);
        }
    }

    /// <summary>Leaves an instance where it is (journal: Running) and never returns: the process is stopping.</summary>
    private async Task<T> ParkAsync<T>(string instanceId, Exception? cause)
    {
        LogParked(_logger, cause, instanceId);
        _running.TryRemove(instanceId, out _);
        await new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously).Task.ConfigureAwait(false);
        throw new InvalidOperationException("A parked workflow instance never continues.");
    }

    internal void RaiseEventCore(string instanceId, string eventName, string? payloadJson)
    {
        Journal.AddEvent(instanceId, eventName, payloadJson);
        _signals.GetOrAdd(instanceId, _ => new SemaphoreSlim(0)).Release();
    }

    internal Task WaitForSignalAsync(string instanceId, CancellationToken cancellationToken) =>
        _signals.GetOrAdd(instanceId, _ => new SemaphoreSlim(0)).WaitAsync(TimeSpan.FromMilliseconds(250), cancellationToken);

    internal async Task<WorkflowInstanceRow> RunChildAsync(string workflowName, string childId, string inputJson)
    {
        if (Journal.CreateInstance(childId, workflowName, inputJson))
        {
            Start(childId);
        }
        else
        {
            await ResumeAsync(childId).ConfigureAwait(false);
        }

        return await WaitForCompletionAsync(childId).ConfigureAwait(false);
    }

    internal async Task<(string? Output, DateTimeOffset CompletedAt)> RunActivityAsync(
        EmbeddedWorkflowContext context, int seq, string name, object? input, WorkflowTaskOptions? options)
    {
        var inputJson = JsonSerializer.Serialize(input, input?.GetType() ?? typeof(object), MaximusJson.Options);
        var retry = options?.RetryPolicy;
        var maxAttempts = Math.Max(1, retry?.MaxNumberOfAttempts ?? 1);
        var delay = retry?.FirstRetryInterval ?? TimeSpan.Zero;
        if (_stopping)
        {
            return await ParkAsync<(string?, DateTimeOffset)>(context.InstanceId, null).ConfigureAwait(false);
        }

        Journal.BeginTask(context.InstanceId, context.Generation, seq, "activity", name, inputJson);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // One of the bounded slots (in order of arrival); a host that began to stop meanwhile parks the instance instead.
                Interlocked.Increment(ref _waitingForSlot);
                try
                {
                    await _activitySlots.WaitAsync().ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _waitingForSlot);
                }

                try
                {
                    if (_stopping)
                    {
                        throw new OperationCanceledException("The host is stopping.");
                    }

                    await using var scope = _scopes.CreateAsyncScope();
                    if (!_factory.TryCreateActivity(new TaskIdentifier(name), scope.ServiceProvider, out var activity, out var activationError) || activity is null)
                    {
                        throw activationError ?? new InvalidOperationException($"No activity '{name}' is registered.");
                    }

                    var typedInput = JsonSerializer.Deserialize(inputJson, activity.InputType, MaximusJson.Options);
                    var result = await activity.RunAsync(new EmbeddedActivityContext(name, context.InstanceId, context.Generation, seq), typedInput!)
                        .ConfigureAwait(false);
                    var outputJson = JsonSerializer.Serialize(result, activity.OutputType, MaximusJson.Options);
                    var completedAt = Journal.CompleteTask(context.InstanceId, context.Generation, seq, outputJson);
                    KillIfAsked(name);
                    return (outputJson, completedAt);
                }
                finally
                {
                    _activitySlots.Release();
                }
            }
            catch (Exception ex) when (_stopping)
            {
                return await ParkAsync<(string?, DateTimeOffset)>(context.InstanceId, ex).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < maxAttempts)
            {
                LogActivityRetry(_logger, ex, name, context.InstanceId, attempt);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay).ConfigureAwait(false);
                }

                var next = TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (retry?.BackoffCoefficient ?? 1));
                delay = retry?.MaxRetryInterval is { } max && next > max ? max : next;
            }
            catch (Exception ex)
            {
                Journal.FailTask(context.InstanceId, context.Generation, seq, ex.Message);
                throw EmbeddedWorkflowContext.Failure(name, ex.Message, ex);
            }
        }
    }

    private void KillIfAsked(string activityName)
    {
        if (_killAfter is { } k && string.Equals(k.Activity, activityName, StringComparison.Ordinal)
            && _completions.AddOrUpdate(activityName, 1, (_, n) => n + 1) == k.Count)
        {
            LogKilling(_logger, activityName, k.Count);
            Process.GetCurrentProcess().Kill();
        }
    }

    /// <summary>Runs the instance unless it runs already (false then).</summary>
    private bool Start(string instanceId)
    {
        lock (_running)
        {
            if (_running.ContainsKey(instanceId))
            {
                return false;
            }

            // The run starts only once it is registered, so its clean-up cannot race the registration.
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _running[instanceId] = gate.Task.ContinueWith(_ => RunAsync(instanceId), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            gate.SetResult();
            return true;
        }
    }

    private async Task RunAsync(string instanceId)
    {
        // A resumed instance tells the resume when its replay has ended (or the run ended without one).
        _replays.TryRemove(instanceId, out var replayed);
        try
        {
            while (true)
            {
                var row = Journal.GetInstance(instanceId)!;
                if (row.Status != WorkflowRunStatus.Running)
                {
                    // A resumed instance is Running already: no write that changes nothing.
                    Journal.SetStatus(instanceId, WorkflowRunStatus.Running);
                }
                if (!_factory.TryCreateWorkflow(new TaskIdentifier(row.Name), _services, out var workflow, out var activationError) || workflow is null)
                {
                    Journal.SetStatus(instanceId, WorkflowRunStatus.Failed, failure: activationError?.Message ?? $"No workflow '{row.Name}' is registered.");
                    return;
                }

                var context = new EmbeddedWorkflowContext(this, row, Journal.LoadEntries(instanceId, row.Generation), _loggerFactory, replayed);
                try
                {
                    var input = row.Input is null ? null : JsonSerializer.Deserialize(row.Input, workflow.InputType, MaximusJson.Options);
                    var output = await workflow.RunAsync(context, input).ConfigureAwait(false);
                    context.FlushReplayedCustomStatus();
                    if (context.ContinueAsNewRequested)
                    {
                        Journal.ContinueAsNew(instanceId, context.ContinueAsNewInput);
                        continue;
                    }

                    Journal.SetStatus(instanceId, WorkflowRunStatus.Completed, JsonSerializer.Serialize(output, workflow.OutputType, MaximusJson.Options));
                }
                catch (Exception ex) when (_stopping)
                {
                    // Not a failure of the workflow: the host is stopping under it. It resumes on the next start.
                    LogParked(_logger, ex, instanceId);
                }
                catch (Exception ex)
                {
                    LogWorkflowFailed(_logger, ex, row.Name, instanceId);
                    Journal.SetStatus(instanceId, WorkflowRunStatus.Failed, failure: ex.Message);
                }

                return;
            }
        }
        finally
        {
            replayed?.TrySetResult();
            _running.TryRemove(instanceId, out _);
        }
    }

    private static WorkflowInstanceInfo ToInfo(WorkflowInstanceRow row) =>
        new(row.InstanceId, row.Name, row.Status, row.CreatedAt, row.UpdatedAt, row.Input, row.Output, row.CustomStatus, row.Failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming {Count} workflow instances left running, {WaitedMs} ms after start (once the host is ready)")]
    private static partial void LogResumingAll(ILogger logger, int count, long waitedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming workflow {InstanceId} ({Name})")]
    private static partial void LogResuming(ILogger logger, string instanceId, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow instance {InstanceId} parked while the host stops; it resumes on the next start")]
    private static partial void LogParked(ILogger logger, Exception? exception, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} workflow instances still running; they resume on the next start")]
    private static partial void LogStopWhileRunning(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity {Name} of {InstanceId} failed (attempt {Attempt}); retrying")]
    private static partial void LogActivityRetry(ILogger logger, Exception exception, string name, string instanceId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workflow {Name} ({InstanceId}) failed")]
    private static partial void LogWorkflowFailed(ILogger logger, Exception exception, string name, string instanceId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Fault injection: killing the process after completion {Count} of {Activity}")]
    private static partial void LogKilling(ILogger logger, string activity, int count);
}
