using Maximus.Mcp.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace Maximus.Composition;

/// <summary>
/// Maps <c>/mcp</c> on a thread of its own while the rest of the host starts. The MCP server's tool descriptions (JSON
/// schemas made by reflection from the tools' methods) take about 200 ms to make, which was a fifth of a role's cold
/// start on the main thread. As a hosted service, registered before the web server, this waits for the mapping: the host
/// opens its port only with <c>/mcp</c> in its routes, so no request ever sees it missing.
/// </summary>
public sealed class McpMapping : IHostedService
{
    private Task? _mapping;

    /// <summary>Starts making the MCP server's options and mapping <c>/mcp</c>; the caller must map nothing after this.</summary>
    public void Begin(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _mapping = Task.Factory.StartNew(
            () =>
            {
                _ = app.Services.GetRequiredService<IOptions<McpServerOptions>>().Value;
                app.MapMaximusMcp();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken) =>
        _mapping is null ? Task.CompletedTask : _mapping.WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
