using Maximus.Composition;
using Maximus.Runtime.Embedded;
using Maximus.Runtime.Embedded.Workflows;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Cli;

/// <summary>
/// The runtime the CLI talks through. Embedded: every role runs inside this process on the data folder.
/// Dapr: the CLI is a client (app id <c>maximus-cli</c>) and reaches the roles through its sidecar.
/// </summary>
internal sealed class CliRuntime : IAsyncDisposable
{
    private readonly IHost _host;

    private CliRuntime(IHost host, RuntimeKind kind)
    {
        _host = host;
        Kind = kind;
    }

    public RuntimeKind Kind { get; }

    public IServiceProvider Services => _host.Services;

    /// <param name="configure">Adds to the host before it is built (e.g. <c>mcp serve</c>'s stdio transport).</param>
    public static async Task<CliRuntime> StartAsync(
        RuntimeKind kind, string dataDirectory, bool verbose, CancellationToken cancellationToken, Action<IHostApplicationBuilder>? configure = null)
    {
        var settings = kind == RuntimeKind.Embedded
            ? MaximusHostSettings.All(dataDirectory)
            : new MaximusHostSettings([], RuntimeKind.Dapr, null);
        var host = Build(settings, verbose, configure);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        return new CliRuntime(host, kind);
    }

    /// <summary>
    /// The services of <paramref name="settings"/>'s roles, composed as the host composes them, without starting anything
    /// (no hosted service runs): for commands that work on the data while the services are stopped (<c>memory reembed</c>).
    /// </summary>
    public static IHost Build(MaximusHostSettings settings, bool verbose, Action<IHostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = false,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = verbose ? "Information" : "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning",

            // "Hosting failed to start" with its stack trace: the CLI prints the failure itself (one line for an unusable
            // data file or an embedding-model mismatch), so the generic host's copy is only for --verbose.
            ["Serilog:MinimumLevel:Override:Microsoft.Extensions.Hosting.Internal.Host"] = verbose ? "Warning" : "Fatal",
            [$"{EmbeddedRuntimeOptions.Section}:{nameof(EmbeddedRuntimeOptions.ResumeWorkflowsOnStart)}"] = "false",
        });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(settings);
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>The workflow journal when the runtime is embedded (null over Dapr).</summary>
    public WorkflowJournal? Journal => Kind == RuntimeKind.Embedded ? Services.GetRequiredService<WorkflowJournal>() : null;

    /// <summary>Lets asynchronous work (reflections of executed steps, lessons into memory) finish before exit.</summary>
    public async Task DrainAsync()
    {
        if (Kind == RuntimeKind.Embedded)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Services.GetRequiredService<Reflection.Client.PrioritizedReflectorClient>().FlushAsync(timeout.Token).ConfigureAwait(false);
            await Services.GetRequiredService<EmbeddedEventBus>().WaitUntilIdleAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}
