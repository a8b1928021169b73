using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;
using Maximus.Reflection.Client;
using Maximus.Runtime.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Maximus.Reflection.Tests;

public sealed class ReflectorClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Critical_log_is_reflected_before_submit_returns()
    {
        await using var host = await ReflectionHost.StartAsync();

        var result = await host.Client.SubmitAsync(ReflectionHost.Log("c-1", ReflectionPriority.Critical), Ct);

        Assert.NotNull(result.Reflection);
        Assert.Equal("c-1", result.Reflection.LogId);
        Assert.Equal(1, host.Reflector.Calls["c-1"]);
    }

    [Fact]
    public async Task High_and_batch_logs_return_at_once_and_are_all_reflected_exactly_once()
    {
        await using var host = await ReflectionHost.StartAsync(client: o => o.BatchInterval = TimeSpan.FromMilliseconds(50));
        var ids = new List<string>();
        for (var i = 0; i < 45; i++)
        {
            var priority = i % 2 == 0 ? ReflectionPriority.High : ReflectionPriority.Batch;
            var result = await host.Client.SubmitAsync(ReflectionHost.Log($"l-{i}", priority), Ct);
            Assert.Null(result.Reflection);
            Assert.False(result.Spooled);
            ids.Add($"l-{i}");
        }

        await host.WaitUntilAsync(() => ids.All(host.Reflector.Calls.ContainsKey));
        Assert.All(ids, id => Assert.Equal(1, host.Reflector.Calls[id]));
    }

    [Fact]
    public async Task A_batch_is_flushed_by_size_before_its_interval()
    {
        await using var host = await ReflectionHost.StartAsync(client: o =>
        {
            o.BatchSize = 5;
            o.BatchInterval = TimeSpan.FromMinutes(5);
        });
        for (var i = 0; i < 5; i++)
        {
            await host.Client.SubmitAsync(ReflectionHost.Log($"b-{i}", ReflectionPriority.Batch), Ct);
        }

        // Five logs fill the batch: it goes out long before the five-minute interval.
        await host.WaitUntilAsync(() => host.Reflector.Calls.Count == 5, seconds: 10);
    }

    [Fact]
    public async Task A_killed_client_loses_no_accepted_log_and_its_successor_reflects_each_once()
    {
        var dataDir = Directory.CreateTempSubdirectory("maximus-kill-").FullName;
        var outboxPath = Path.Combine(dataDir, "outbox.db");

        // The first client accepts logs durably but its broker never answers: they are still queued when it dies.
        var hanging = new HangingEventBus();
        var first = new PrioritizedReflectorClient(
            hanging, new UnusedInvoker(), new ReflectionOutbox(outboxPath),
            Options.Create(new ReflectorClientOptions { Durable = true, BatchInterval = TimeSpan.FromMilliseconds(20) }),
            TimeProvider.System, NullLogger<PrioritizedReflectorClient>.Instance);
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var log = ReflectionHost.Log($"k-{i}", i % 3 == 0 ? ReflectionPriority.Batch : ReflectionPriority.High);
            await first.SubmitAsync(log, Ct);
            ids.Add(log.LogId);
        }

        Assert.Equal(30, first.Outbox.Count());

        // "Kill": no flush, no stop; the first client is simply gone. A new process starts on the same outbox.
        await using var host = await ReflectionHost.StartAsync(dataDir, o =>
        {
            o.OutboxPath = outboxPath;
            o.Durable = true;
        });

        await host.WaitUntilAsync(() => ids.All(host.Reflector.Calls.ContainsKey));
        await host.WaitUntilAsync(() => host.Client.Outbox.Count() == 0);
        Assert.All(ids, id => Assert.Equal(1, host.Reflector.Calls[id]));
        Assert.True(hanging.Attempts > 0, "the first client did try to publish");
    }

    [Fact]
    public async Task Logs_spooled_while_the_broker_is_down_are_redelivered_when_it_is_back()
    {
        await using var host = await ReflectionHost.StartAsync();
        var flaky = new FlakyEventBus(host.Host.Services.GetRequiredService<IEventBus>()) { Down = true };
        await using var client = new PrioritizedReflectorClient(
            flaky, new UnusedInvoker(), new ReflectionOutbox(Path.Combine(host.DataDir, "flaky-outbox.db")),
            Options.Create(new ReflectorClientOptions { RedeliveryInitialDelay = TimeSpan.FromMilliseconds(50), BatchInterval = TimeSpan.FromMilliseconds(20) }),
            TimeProvider.System, NullLogger<PrioritizedReflectorClient>.Instance);

        for (var i = 0; i < 10; i++)
        {
            await client.SubmitAsync(ReflectionHost.Log($"f-{i}", i % 2 == 0 ? ReflectionPriority.High : ReflectionPriority.Batch), Ct);
        }

        await host.WaitUntilAsync(() => client.Outbox.Count() == 10);
        Assert.Empty(host.Reflector.Calls);

        flaky.Down = false;
        await host.WaitUntilAsync(() => host.Reflector.Calls.Count == 10);
        await host.WaitUntilAsync(() => client.Outbox.Count() == 0);
    }

    [Fact]
    public async Task Graceful_shutdown_spools_what_it_could_not_publish()
    {
        var dir = Directory.CreateTempSubdirectory("maximus-stop-").FullName;
        var outbox = new ReflectionOutbox(Path.Combine(dir, "outbox.db"));
        var client = new PrioritizedReflectorClient(
            new FlakyEventBus(new HangingEventBus()) { Down = true }, new UnusedInvoker(), outbox,
            Options.Create(new ReflectorClientOptions { BatchInterval = TimeSpan.FromMinutes(1), BatchSize = 1000, RedeliveryInitialDelay = TimeSpan.FromMinutes(5) }),
            TimeProvider.System, NullLogger<PrioritizedReflectorClient>.Instance);
        for (var i = 0; i < 7; i++)
        {
            await client.SubmitAsync(ReflectionHost.Log($"s-{i}", ReflectionPriority.Batch), Ct);
        }

        await client.DisposeAsync();

        Assert.Equal(7, outbox.Count());
        var spooled = await client.SubmitAsync(ReflectionHost.Log("after-stop", ReflectionPriority.High), Ct);
        Assert.True(spooled.Spooled);
        Assert.Equal(8, outbox.Count());
    }

    [Theory]
    [InlineData("", "logId")]
    [InlineData("too-big", "log")]
    [InlineData("bad-priority", "priority")]
    public async Task Invalid_logs_are_refused_and_never_queued(string id, string field)
    {
        await using var host = await ReflectionHost.StartAsync();
        var log = ReflectionHost.Log(id, ReflectionPriority.High);
        log = id switch
        {
            "too-big" => log with { Observation = new string('x', 100_000) },
            "bad-priority" => log with { Priority = (ReflectionPriority)42 },
            _ => log,
        };

        var refused = await Assert.ThrowsAsync<ReflectionLogRejectedException>(async () => await host.Client.SubmitAsync(log, Ct));

        Assert.Equal(field, refused.Field);
        Assert.Equal(0, host.Client.QueueDepth);
        Assert.Equal(0, host.Client.Outbox.Count());
    }

    [Fact]
    public async Task A_poison_log_ends_in_the_dead_letter_topic_after_the_retries_and_the_others_are_reflected()
    {
        await using var host = await ReflectionHost.StartAsync(failFor: l => l.LogId.StartsWith("poison", StringComparison.Ordinal), maxAttempts: 3);
        string[] good = ["g-1", "g-2", "g-3", "g-4"];
        await host.Client.SubmitAsync(ReflectionHost.Log("poison-high", ReflectionPriority.High), Ct);
        await host.Client.SubmitAsync(ReflectionHost.Log("poison-batch", ReflectionPriority.Batch), Ct);
        foreach (var id in good)
        {
            await host.Client.SubmitAsync(ReflectionHost.Log(id, id.EndsWith('1') || id.EndsWith('3') ? ReflectionPriority.High : ReflectionPriority.Batch), Ct);
        }

        var deadLetters = host.Host.Services.GetRequiredService<DeadLetterStore>();
        await host.WaitUntilAsync(() => deadLetters.List().Count == 2);
        await host.WaitUntilAsync(() => good.All(host.Reflector.Calls.ContainsKey));
        var letters = deadLetters.List();
        Assert.Contains(letters, l => l.Topic == nameof(ExecutionLoggedIntegrationEvent) && l.Payload.Contains("poison-high", StringComparison.Ordinal));
        Assert.Contains(letters, l => l.Topic == nameof(ExecutionLogBatchedIntegrationEvent) && l.Payload.Contains("poison-batch", StringComparison.Ordinal));
        Assert.DoesNotContain("poison-high", host.Reflector.Calls.Keys);
    }

    [Fact]
    public async Task A_log_the_reflector_refuses_as_invalid_is_dead_lettered_without_retries()
    {
        await using var host = await ReflectionHost.StartAsync(maxAttempts: 50);
        var bus = host.Host.Services.GetRequiredService<IEventBus>();

        // Bypasses the client's validation: an empty action can never be reflected (400), so retrying is pointless.
        await bus.PublishAsync(new ExecutionLoggedIntegrationEvent(ReflectionHost.Log("invalid", ReflectionPriority.High, action: "")), Ct);

        var deadLetters = host.Host.Services.GetRequiredService<DeadLetterStore>();
        await host.WaitUntilAsync(() => deadLetters.List().Count == 1, seconds: 5);
        Assert.Contains("'action' is required", deadLetters.List()[0].Error, StringComparison.Ordinal);
    }

    /// <summary>A broker that never answers (the process is frozen or the sidecar hangs).</summary>
    private sealed class HangingEventBus : IEventBus
    {
        private int _attempts;

        public int Attempts => _attempts;

        public Task PublishAsync<TEvent>(TEvent integrationEvent, CancellationToken cancellationToken = default)
            where TEvent : IntegrationEvent
        {
            Interlocked.Increment(ref _attempts);
            return new TaskCompletionSource().Task;
        }

        public Task PublishBulkAsync<TEvent>(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken = default)
            where TEvent : IntegrationEvent
        {
            Interlocked.Increment(ref _attempts);
            return new TaskCompletionSource().Task;
        }
    }

    /// <summary>Fails every publish while <see cref="Down"/> (the sidecar or broker is down).</summary>
    private sealed class FlakyEventBus(IEventBus inner) : IEventBus
    {
        public volatile bool Down;

        public Task PublishAsync<TEvent>(TEvent integrationEvent, CancellationToken cancellationToken = default)
            where TEvent : IntegrationEvent =>
            Down ? Task.FromException(new HttpRequestException("broker down")) : inner.PublishAsync(integrationEvent, cancellationToken);

        public Task PublishBulkAsync<TEvent>(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken = default)
            where TEvent : IntegrationEvent =>
            Down ? Task.FromException(new HttpRequestException("broker down")) : inner.PublishBulkAsync(integrationEvents, cancellationToken);
    }

    private sealed class UnusedInvoker : IServiceInvoker
    {
        public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("not used by these tests");

        public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("not used by these tests");
    }
}
