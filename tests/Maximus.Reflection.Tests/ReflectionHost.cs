using System.Collections.Concurrent;
using Maximus.Contracts;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Composition;
using Maximus.Reflection;
using Maximus.Reflection.Client;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Reflection.Tests;

/// <summary>The reflector, memory and executor roles on the embedded runtime in a temp folder, with a counting reflector.</summary>
internal sealed class ReflectionHost : IAsyncDisposable
{
    private ReflectionHost(IHost host, string dataDir, CountingReflector reflector)
    {
        Host = host;
        DataDir = dataDir;
        Reflector = reflector;
    }

    public IHost Host { get; }

    public string DataDir { get; }

    public CountingReflector Reflector { get; }

    public PrioritizedReflectorClient Client => Host.Services.GetRequiredService<PrioritizedReflectorClient>();

    public static async Task<ReflectionHost> StartAsync(
        string? dataDir = null, Action<ReflectorClientOptions>? client = null, Func<ExecutionLog, bool>? failFor = null, int maxAttempts = 3)
    {
        dataDir ??= Directory.CreateTempSubdirectory("maximus-reflection-").FullName;
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Error",
            [$"{EmbeddedRuntimeOptions.Section}:MaxDeliveryAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(new MaximusHostSettings([AppIds.Reflector, AppIds.Memory, AppIds.Executor], RuntimeKind.Embedded, dataDir));
        var reflector = new CountingReflector(new HeuristicReflector(TimeProvider.System), failFor ?? (_ => false));
        builder.Services.AddSingleton<IReflector>(reflector);
        if (client is not null)
        {
            builder.Services.Configure(client);
        }

        var host = builder.Build();
        await host.StartAsync();
        return new ReflectionHost(host, dataDir, reflector);
    }

    public async Task WaitUntilAsync(Func<bool> condition, int seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting for the condition");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }

    public static ExecutionLog Log(string id, ReflectionPriority priority, string action = "(stack a b)") => new(
        LogId: id,
        MissionId: "m-1",
        AgentId: "agent-1",
        StepIndex: 0,
        Action: action,
        Outcome: ActionOutcome.Succeeded,
        DurationMs: 2,
        Timestamp: DateTimeOffset.UtcNow,
        Observation: "ok",
        Priority: priority);
}

/// <summary>Counts how often each log id is reflected; fails on demand (a poison log).</summary>
internal sealed class CountingReflector(IReflector inner, Func<ExecutionLog, bool> failFor) : IReflector
{
    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public string Name => inner.Name;

    public async ValueTask<ReflectionResult> ReflectAsync(ExecutionLog log, CancellationToken cancellationToken)
    {
        if (failFor(log))
        {
            throw new InvalidOperationException($"the reflector cannot digest {log.LogId}");
        }

        var result = await inner.ReflectAsync(log, cancellationToken);
        Calls.AddOrUpdate(log.LogId, 1, (_, n) => n + 1);
        return result;
    }
}
