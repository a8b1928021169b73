using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Reflection.Client;

/// <summary>What <see cref="PrioritizedReflectorClient.SubmitAsync"/> did with a log.</summary>
/// <param name="Reflection">The reflection, for CRITICAL logs only.</param>
/// <param name="Spooled">The log went to the outbox (queue full or shut down) instead of the in-memory queue.</param>
public sealed record SubmitResult(string LogId, ReflectionPriority Priority, ReflectionResult? Reflection, bool Spooled);

/// <summary>A log the client refuses (no id, unknown priority, too large): it is never queued nor retried.</summary>
public sealed class ReflectionLogRejectedException(string field, string message) : ArgumentException($"'{field}' {message}", field)
{
    public string Field { get; } = field;
}

/// <summary>
/// Submits execution logs for reflection without making the caller wait for the reflector:
/// <list type="bullet">
/// <item><b>Critical</b>: synchronous service invocation of the reflector; returns the reflection.</item>
/// <item><b>High</b>: fire-and-forget; published to the reflection topic in the background.</item>
/// <item><b>Batch</b>: buffered, flushed every <see cref="ReflectorClientOptions.BatchSize"/> logs or
/// <see cref="ReflectorClientOptions.BatchInterval"/>, with one bulk publish.</item>
/// </list>
/// Logs that cannot be published (queue full, sidecar or broker down, shutdown) go to a SQLite outbox and are
/// redelivered with backoff; the reflector is idempotent by log id, so a redelivery never reflects twice.
/// </summary>
public sealed partial class PrioritizedReflectorClient : IHostedService, IAsyncDisposable
{
    public const string MeterName = "Maximus.Reflection.Client";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> SubmitDuration = Meter.CreateHistogram<double>(
        "maximus.reflection.submit.duration", "ms", "Caller-visible time of SubmitAsync");
    private static readonly Counter<long> Spooled = Meter.CreateCounter<long>("maximus.reflection.spooled", "{log}", "Logs written to the outbox");

    private readonly IEventBus _bus;
    private readonly IServiceInvoker _invoker;
    private readonly ReflectionOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger<PrioritizedReflectorClient> _logger;
    private readonly ReflectorClientOptions _options;
    private readonly Channel<ExecutionLog> _high;
    private readonly Channel<ExecutionLog> _batch;
    private readonly SemaphoreSlim _redeliverSignal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _startGate = new();
    private readonly ObservableGauge<long> _queueDepth;
    private List<Task> _workers = [];
    private Task? _redelivery;
    private long _inQueue;
    private bool _started;
    private bool _stopped;
    private Task? _stop;

    public PrioritizedReflectorClient(
        IEventBus bus,
        IServiceInvoker invoker,
        ReflectionOutbox outbox,
        IOptions<ReflectorClientOptions> options,
        TimeProvider time,
        ILogger<PrioritizedReflectorClient> logger)
    {
        _bus = bus;
        _invoker = invoker;
        _outbox = outbox;
        _time = time;
        _logger = logger;
        _options = options.Value;
        var queue = new BoundedChannelOptions(_options.QueueCapacity) { FullMode = BoundedChannelFullMode.Wait };
        _high = Channel.CreateBounded<ExecutionLog>(queue);
        _batch = Channel.CreateBounded<ExecutionLog>(new BoundedChannelOptions(_options.QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _queueDepth = Meter.CreateObservableGauge("maximus.reflection.queue.depth", () => Interlocked.Read(ref _inQueue), "{log}", "Logs queued in memory");
    }

    /// <summary>Logs accepted and not yet published (in memory).</summary>
    public long QueueDepth => Interlocked.Read(ref _inQueue);

    public ReflectionOutbox Outbox => _outbox;

    /// <summary>Submits a log according to its <see cref="ExecutionLog.Priority"/>.</summary>
    /// <exception cref="ReflectionLogRejectedException">The log is invalid; nothing was queued.</exception>
    public async ValueTask<SubmitResult> SubmitAsync(ExecutionLog log, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        if (log is { TraceParent: null } && Activity.Current is { } activity)
        {
            log = log with { TraceParent = activity.Id };
        }

        var json = Validate(log, _options.MaxLogBytes);
        if (log.Priority == ReflectionPriority.Critical)
        {
            var reflection = await _invoker.InvokeAsync<ExecutionLog, ReflectionResult>(AppIds.Reflector, "v1/reflections", log, cancellationToken)
                .ConfigureAwait(false);
            Record(started, log.Priority);
            return new SubmitResult(log.LogId, log.Priority, reflection, false);
        }

        EnsureStarted();
        if (_options.Durable)
        {
            // In the journal before it is acknowledged; settled once published (or spooled to the outbox).
            _outbox.Accept(log, json);
        }

        var spooled = false;
        var channel = log.Priority == ReflectionPriority.High ? _high : _batch;
        if (!_stopped && channel.Writer.TryWrite(log))
        {
            Interlocked.Increment(ref _inQueue);
        }
        else
        {
            spooled = true;
            Spool([log], _stopped ? "client stopped" : "queue full");
        }

        Record(started, log.Priority);
        return new SubmitResult(log.LogId, log.Priority, null, spooled);
    }

    /// <summary>Publishes everything queued in memory and in the outbox now; returns when done or cancelled.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        while ((QueueDepth > 0 || _outbox.Count() > 0) && !cancellationToken.IsCancellationRequested)
        {
            _redeliverSignal.Release();
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Graceful shutdown: stops accepting, publishes what is queued, spools what could not be published. Every caller
    /// (the host, then disposal) waits for the same shutdown; a cancelled caller stops waiting, the shutdown goes on.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        lock (_startGate)
        {
            _stopped = true;
            stop = _stop ??= Task.Run(StopCoreAsync, CancellationToken.None);
        }

        return stop.WaitAsync(cancellationToken);
    }

    private async Task StopCoreAsync()
    {
        _high.Writer.TryComplete();
        _batch.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogShutdownTimeout(_logger, QueueDepth);
        }

        // Whatever is still in memory now goes to the outbox for the next start.
        var left = new List<ExecutionLog>();
        while (_high.Reader.TryRead(out var h))
        {
            left.Add(h);
        }

        while (_batch.Reader.TryRead(out var b))
        {
            left.Add(b);
        }

        if (left.Count > 0)
        {
            Interlocked.Add(ref _inQueue, -left.Count);
            Spool(left, "shutdown");
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_redelivery is not null)
        {
            await _redelivery.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _redeliverSignal.Dispose();
    }

    /// <summary>Refuses a log that cannot be accepted, naming the field; returns the accepted log's JSON.</summary>
    public static byte[] Validate([NotNull] ExecutionLog? log, int maxLogBytes)
    {
        if (log is null)
        {
            throw new ReflectionLogRejectedException("log", "is required.");
        }

        if (string.IsNullOrWhiteSpace(log.LogId))
        {
            throw new ReflectionLogRejectedException("logId", "is required.");
        }

        if (!Enum.IsDefined(log.Priority))
        {
            throw new ReflectionLogRejectedException("priority", $"must be Critical, High or Batch, not {(int)log.Priority}.");
        }

        if (string.IsNullOrWhiteSpace(log.MissionId))
        {
            throw new ReflectionLogRejectedException("missionId", "is required.");
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(log, MaximusJson.Options);
        if (json.Length > maxLogBytes)
        {
            throw new ReflectionLogRejectedException("log", $"is {json.Length} bytes; at most {maxLogBytes} are accepted.");
        }

        return json;
    }

    private void EnsureStarted()
    {
        if (_started)
        {
            return;
        }

        lock (_startGate)
        {
            if (_started)
            {
                return;
            }

            var workers = new List<Task>();
            for (var i = 0; i < Math.Max(1, _options.Publishers); i++)
            {
                workers.Add(Task.Run(PublishHighAsync));
            }

            workers.Add(Task.Run(PublishBatchesAsync));
            _workers = workers;
            _redelivery = Task.Run(RedeliverAsync);
            _started = true;
        }
    }

    private async Task PublishHighAsync()
    {
        await foreach (var log in _high.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Interlocked.Decrement(ref _inQueue);
            try
            {
                await _bus.PublishAsync(new ExecutionLoggedIntegrationEvent(log) { Id = log.LogId }).ConfigureAwait(false);
                Settle([log]);
            }
            catch (Exception ex)
            {
                Spool([log], ex.Message);
            }
        }
    }

    private async Task PublishBatchesAsync()
    {
        var reader = _batch.Reader;
        var size = Math.Max(1, _options.BatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var buffer = new List<ExecutionLog>(size);
            var deadline = _time.GetUtcNow() + _options.BatchInterval;
            while (buffer.Count < size)
            {
                if (reader.TryRead(out var log))
                {
                    buffer.Add(log);
                    continue;
                }

                var remaining = deadline - _time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                using var wait = new CancellationTokenSource(remaining);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            if (buffer.Count == 0)
            {
                continue;
            }

            Interlocked.Add(ref _inQueue, -buffer.Count);
            try
            {
                await _bus.PublishBulkAsync(buffer.Select(l => new ExecutionLogBatchedIntegrationEvent(l) { Id = l.LogId }).ToList()).ConfigureAwait(false);
                Settle(buffer);
            }
            catch (Exception ex)
            {
                Spool(buffer, ex.Message);
            }
        }
    }

    private async Task RedeliverAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _redeliverSignal.WaitAsync(TimeSpan.FromMilliseconds(250), token).ConfigureAwait(false);
                IReadOnlyList<ExecutionLog> due;
                while ((due = _outbox.Due(_time.GetUtcNow(), 500)).Count > 0 && !token.IsCancellationRequested)
                {
                    await RedeliverBatchAsync(due).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRedeliveryFailed(_logger, ex);
            }
        }
    }

    private async Task RedeliverBatchAsync(IReadOnlyList<ExecutionLog> due)
    {
        foreach (var group in due.GroupBy(l => l.Priority))
        {
            var ids = group.Select(l => l.LogId).ToList();
            try
            {
                if (group.Key == ReflectionPriority.Batch)
                {
                    await _bus.PublishBulkAsync(group.Select(l => new ExecutionLogBatchedIntegrationEvent(l) { Id = l.LogId }).ToList()).ConfigureAwait(false);
                }
                else
                {
                    await _bus.PublishBulkAsync(group.Select(l => new ExecutionLoggedIntegrationEvent(l) { Id = l.LogId }).ToList()).ConfigureAwait(false);
                }

                _outbox.Remove(ids);
            }
            catch (Exception ex)
            {
                _outbox.Postpone(ids, ex.Message, _options.RedeliveryInitialDelay, _options.RedeliveryMaxDelay, _time.GetUtcNow());
                LogStillFailing(_logger, ids.Count, ex.Message);
                return;
            }
        }
    }

    /// <summary>Durable mode: the logs no longer need the journal (published, or in the outbox now).</summary>
    private void Settle(IReadOnlyList<ExecutionLog> logs)
    {
        if (_options.Durable)
        {
            _outbox.Settle(logs.Select(l => l.LogId));
        }
    }

    /// <summary>To the outbox for redelivery (then settled in the journal: a crash in between leaves one copy, ids are unique).</summary>
    private void Spool(IReadOnlyList<ExecutionLog> logs, string reason)
    {
        _outbox.Add(logs, _time.GetUtcNow() + _options.RedeliveryInitialDelay);
        Settle(logs);
        Spooled.Add(logs.Count);
        LogSpooled(_logger, logs.Count, reason);
    }

    private static void Record(long started, ReflectionPriority priority) =>
        SubmitDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("priority", priority.ToString()));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spooled {Count} execution log(s) to the outbox: {Reason}")]
    private static partial void LogSpooled(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redelivering {Count} execution log(s) failed again: {Error}")]
    private static partial void LogStillFailing(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The outbox redelivery loop failed")]
    private static partial void LogRedeliveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timed out with {Count} log(s) still queued; they are spooled to the outbox")]
    private static partial void LogShutdownTimeout(ILogger logger, long count);
}
